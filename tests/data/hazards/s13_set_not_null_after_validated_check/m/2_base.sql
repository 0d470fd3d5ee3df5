-- migrate:up
set lock_timeout = '2s';
alter table t add constraint t_a_not_null check (a is not null) not valid;
-- migrate:down
