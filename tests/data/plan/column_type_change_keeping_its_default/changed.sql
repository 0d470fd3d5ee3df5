create table readings (id int, value numeric(10, 2) default 0);
