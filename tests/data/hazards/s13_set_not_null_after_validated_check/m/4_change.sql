-- migrate:up
set lock_timeout = '2s';
alter table t alter column a set not null;
-- migrate:down
