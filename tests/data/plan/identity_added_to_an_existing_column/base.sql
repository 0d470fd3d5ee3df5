create table items (id int not null, name text);
insert into items values (1, 'a'), (7, 'b');
