-- migrate:up
set lock_timeout = '2s';
alter table t alter column name type varchar(50);
-- migrate:down
