create table "Order Items" ("Item ID" int primary key, "Qty" int);
