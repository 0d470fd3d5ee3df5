-- migrate:up
create table t (a int);
vacuum t;
-- migrate:down
