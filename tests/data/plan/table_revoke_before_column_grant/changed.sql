create table t (id int, note text);
grant select on t to pg_monitor;
grant update (note) on t to pg_monitor;
