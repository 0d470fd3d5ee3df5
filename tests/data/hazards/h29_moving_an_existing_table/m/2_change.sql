-- migrate:up
set lock_timeout = '2s';
alter table events set schema archive;
-- migrate:down
