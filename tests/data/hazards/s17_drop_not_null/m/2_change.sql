-- migrate:up
set lock_timeout = '2s';
alter table t alter column a drop not null;
-- migrate:down
