create extension citext version '1.6';
create table users (email citext);
