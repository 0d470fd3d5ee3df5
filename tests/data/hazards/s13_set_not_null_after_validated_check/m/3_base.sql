-- migrate:up
alter table t validate constraint t_a_not_null;
-- migrate:down
