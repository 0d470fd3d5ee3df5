create table t (id int);
grant insert, update on t to pg_monitor;
grant select on t to public;
grant delete on t to pg_signal_backend;
