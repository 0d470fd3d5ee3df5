-- migrate:up
set lock_timeout = '2s';
alter table notes alter column note type text;
-- migrate:down
