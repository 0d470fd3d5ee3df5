create schema "app.v2";
create table "app.v2"."t.1" (id int, "a.b" int);
create type "app.v2"."e.1" as enum ('a', 'b');
create table "app.v2".u (e "app.v2"."e.1");
create index "i.1" on "app.v2"."t.1" ("a.b");
