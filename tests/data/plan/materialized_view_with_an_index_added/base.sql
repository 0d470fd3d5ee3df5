create table sales (id int, amount int);
