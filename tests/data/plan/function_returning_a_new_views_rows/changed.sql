create table contact (id int primary key, name text);
create view actor as select id, name from contact;
create function find_actor(wanted int) returns setof actor language sql stable as 'select * from actor where id = wanted';
