create extension citext version '1.5';
create table users (email citext);
