-- migrate:up
set lock_timeout = '2s';
alter table u add column seq bigint generated always as identity;
-- migrate:down
