-- migrate:up
set lock_timeout = '2s';
alter table t add column token uuid default gen_random_uuid();
-- migrate:down
