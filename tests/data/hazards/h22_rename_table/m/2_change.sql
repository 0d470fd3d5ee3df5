-- migrate:up
set lock_timeout = '2s';
alter table t rename to things;
-- migrate:down
