create table readings (id int, value int default 0);
