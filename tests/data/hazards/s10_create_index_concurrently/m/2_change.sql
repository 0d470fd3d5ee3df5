-- migrate:up transaction:false
create index concurrently t_name_idx on t (name);
-- migrate:down
