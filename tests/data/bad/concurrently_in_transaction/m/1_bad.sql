-- migrate:up
create index concurrently i on t (a);
-- migrate:down
