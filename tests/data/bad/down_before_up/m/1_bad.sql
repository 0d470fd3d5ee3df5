-- migrate:down
drop table t;
-- migrate:up
create table t (id int);
