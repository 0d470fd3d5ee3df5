create table a (id int primary key);
create table b (id int, a_id int references a (id));
