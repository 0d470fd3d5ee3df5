alter default privileges in schema public grant select, insert on tables to pg_monitor;
create table open_data (id int);
create table closed_data (id int);
revoke select, insert on closed_data from pg_monitor;
create table partly (id int);
revoke insert on partly from pg_monitor;
