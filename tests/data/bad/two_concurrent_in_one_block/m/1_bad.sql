-- migrate:up transaction:false
create index concurrently i on t (a);
create index concurrently j on t (b);
-- migrate:down
