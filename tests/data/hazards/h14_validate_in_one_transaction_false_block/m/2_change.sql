-- migrate:up transaction:false
set lock_timeout = '2s';
alter table t add constraint t_a_positive check (a > 0) not valid;
alter table t validate constraint t_a_positive;
-- migrate:down
