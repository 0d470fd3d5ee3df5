create table contact (id int primary key, name text);
