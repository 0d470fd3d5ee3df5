-- header

create extension citext;
-- migrate:up
create table t (id int);
-- migrate:down
