create table orders (id int, total numeric);
