-- migrate:up
set lock_timeout = '2s';
drop table u;
-- migrate:down
