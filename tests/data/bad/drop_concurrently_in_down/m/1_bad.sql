-- migrate:up
create table t (a int);
-- migrate:down
drop index concurrently i;
