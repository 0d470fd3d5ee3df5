create table t (id int);
grant select on t to public;
grant insert, update on t to pg_monitor;
