create extension citext version '1.5';
create table t (id int, email citext);
