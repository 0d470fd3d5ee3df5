-- migrate:up
create schema archive;
create table events (id bigint primary key, note varchar(20));
alter table events set schema archive;
-- migrate:down
