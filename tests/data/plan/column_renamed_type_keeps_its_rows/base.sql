create table metrics (id int, value int);
