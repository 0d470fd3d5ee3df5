-- migrate:up
set lock_timeout = '2s';
alter table t add column b int default 0;
-- migrate:down
