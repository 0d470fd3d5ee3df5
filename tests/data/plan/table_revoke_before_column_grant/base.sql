create table t (id int, note text);
grant select, update on t to pg_monitor;
