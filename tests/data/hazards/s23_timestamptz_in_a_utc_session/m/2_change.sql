-- migrate:up
set lock_timeout = '2s';
set local timezone = 'UTC';
alter table events alter column happened_at type timestamp with time zone;
-- migrate:down
