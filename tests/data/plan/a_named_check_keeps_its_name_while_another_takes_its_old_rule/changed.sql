create table products (id int, price numeric constraint positive check (price > 10), constraint priced check (price > 0));
