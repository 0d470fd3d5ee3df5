create table parts (code varchar(40), price numeric(10, 2));
