create table users (id int primary key, name text);
create table orders (id int primary key, user_id int references users (id));
