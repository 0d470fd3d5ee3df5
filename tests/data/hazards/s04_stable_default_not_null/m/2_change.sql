-- migrate:up
set lock_timeout = '2s';
alter table t add column created_at timestamptz not null default now();
-- migrate:down
