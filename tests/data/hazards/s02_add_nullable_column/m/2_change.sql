-- migrate:up
set lock_timeout = '2s';
alter table t add column b int;
-- migrate:down
