-- migrate:up
set lock_timeout = '2s';
alter table events alter column happened_at type timestamptz(3);
-- migrate:down
