create table t (id int);
grant select on t to pg_monitor with grant option;
grant insert on t to pg_signal_backend;
