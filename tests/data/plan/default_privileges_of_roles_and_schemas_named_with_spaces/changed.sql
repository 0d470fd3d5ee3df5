-- Role and schema names holding spaces and commas in default privileges and grants.
create role "Data Team";
create role "audit, ops";
create schema "My Schema";
alter default privileges for role "Data Team" in schema "My Schema" grant select on tables to "audit, ops";
alter default privileges for role "Data Team" revoke execute on functions from public;
create table "My Schema"."Readings" (id int, "Taken At" timestamptz);
grant select ("Taken At") on "My Schema"."Readings" to "audit, ops";
grant usage on schema "My Schema" to "Data Team";
