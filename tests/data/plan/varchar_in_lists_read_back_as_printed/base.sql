create table orders (id int, status varchar(10) not null, amount numeric);
