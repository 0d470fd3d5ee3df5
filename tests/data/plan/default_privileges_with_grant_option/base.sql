alter default privileges in schema public grant select on tables to pg_monitor;
