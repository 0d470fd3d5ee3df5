-- migrate:up
set lock_timeout = '2s';
alter table t alter column amount type numeric(12,2);
-- migrate:down
