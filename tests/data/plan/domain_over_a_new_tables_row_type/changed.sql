create table t (id int);
create table address (street text, city text);
create domain checked_address as address check ((value).city is not null);
create table sites (id int, location checked_address);
