-- migrate:up transaction:false
create table t (a int);
create index concurrently i on t (a);
-- migrate:down
