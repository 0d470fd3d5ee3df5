-- migrate:up
create table t (a text);
insert into t values ('abc);
-- migrate:down
