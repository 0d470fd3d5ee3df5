-- migrate:up
set lock_timeout = '2s';
alter table t alter column v type text;
-- migrate:down
