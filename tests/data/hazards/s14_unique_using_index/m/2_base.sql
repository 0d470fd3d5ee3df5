-- migrate:up transaction:false
create unique index concurrently t_name_key on t (name);
-- migrate:down
