-- migrate:up transaction:flase
create index concurrently i on t (a);
-- migrate:down
