create table orders (id int, total numeric constraint total_positive check (total >= 0));
