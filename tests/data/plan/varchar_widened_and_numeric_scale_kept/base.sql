create table parts (code varchar(10), price numeric(8, 2));
