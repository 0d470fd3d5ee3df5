-- migrate:up
begin;
create table t (a int);
commit;
-- migrate:down
