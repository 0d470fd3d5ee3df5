-- migrate:up
create schema archive;
create table events (id bigint primary key);
-- migrate:down
