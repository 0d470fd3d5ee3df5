-- migrate:up
create table a (x int);
-- migrate:down
drop table a;
-- migrate:up
create table b (x int);
-- migrate:down
drop table b;
