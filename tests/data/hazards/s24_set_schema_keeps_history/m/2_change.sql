-- migrate:up
set lock_timeout = '2s';
alter table archive.events alter column note type varchar(50);
-- migrate:down
