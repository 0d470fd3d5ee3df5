-- migrate:up
set lock_timeout = '2s';
alter table t drop column name;
-- migrate:down
