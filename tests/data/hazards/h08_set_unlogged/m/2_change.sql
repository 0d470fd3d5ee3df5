-- migrate:up
set lock_timeout = '2s';
alter table t set unlogged;
-- migrate:down
