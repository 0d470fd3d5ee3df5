-- migrate:up
create index t_name_idx on t (name);
-- migrate:down
