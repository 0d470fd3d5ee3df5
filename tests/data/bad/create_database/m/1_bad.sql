-- migrate:up
create database other;
-- migrate:down
