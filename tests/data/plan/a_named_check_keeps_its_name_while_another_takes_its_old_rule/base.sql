create table products (id int, price numeric constraint positive check (price > 0));
