alter default privileges in schema public grant select, insert on tables to pg_monitor with grant option;
