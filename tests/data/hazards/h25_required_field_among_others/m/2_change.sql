-- migrate:up
set lock_timeout = '2s';
alter table t add column note text, add column created_by text not null;
-- migrate:down
