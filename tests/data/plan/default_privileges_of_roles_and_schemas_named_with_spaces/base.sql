create role "Data Team";
create role "audit, ops";
create schema "My Schema";
