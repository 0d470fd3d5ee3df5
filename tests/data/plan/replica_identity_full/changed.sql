create table feed (id int, body text);
alter table feed replica identity full;
