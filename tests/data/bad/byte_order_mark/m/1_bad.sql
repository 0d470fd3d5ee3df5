-- migrate:up
create table t (a int);
-- migrate:down
