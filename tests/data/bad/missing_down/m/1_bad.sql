-- migrate:up
create table t (id int);
