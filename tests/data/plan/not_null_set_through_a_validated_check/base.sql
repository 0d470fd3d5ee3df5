create table users (id int, email text);
