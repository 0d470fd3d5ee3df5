create table "Order Items" ("Item ID" int primary key, "Qty" int not null default 1, "Note ""x""" text);
create index "Order Items qty" on "Order Items" ("Qty");
create table "Parent Table" ("Key" int primary key);
alter table "Order Items" add constraint "fk to parent" foreign key ("Qty") references "Parent Table" ("Key");
