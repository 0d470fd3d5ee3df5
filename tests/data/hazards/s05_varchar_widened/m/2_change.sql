-- migrate:up
set lock_timeout = '2s';
alter table t alter column v type varchar(50);
-- migrate:down
