create table notes (id int, owner text);
