create table t (id int);
grant select on t to pg_monitor;
grant insert on t to pg_signal_backend with grant option;
