-- migrate:up txn:false
create table t (a int);
-- migrate:down
