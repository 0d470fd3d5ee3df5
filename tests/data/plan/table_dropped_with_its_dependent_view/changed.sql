create table kept (id int);
