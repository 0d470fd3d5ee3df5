-- migrate:up
set lock_timeout = '2s';
alter table t add constraint t_a_positive check (a > 0);
-- migrate:down
