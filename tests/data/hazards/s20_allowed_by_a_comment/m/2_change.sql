-- migrate:up
set lock_timeout = '2s';
-- squashmate:allow table-rewrite t has a few hundred rows
alter table t alter column a type bigint;
-- migrate:down
