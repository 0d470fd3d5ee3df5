create schema "app.v2";
create table "app.v2"."t.1" (id serial, "a.b" bigint not null, "c.d" text);
create type "app.v2"."e.1" as enum ('b', 'a');
create table "app.v2".u (e "app.v2"."e.1");
create index "i.1" on "app.v2"."t.1" ("a.b" desc);
comment on column "app.v2"."t.1"."c.d" is 'dotted';
