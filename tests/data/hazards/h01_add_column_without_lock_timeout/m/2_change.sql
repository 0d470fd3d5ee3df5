-- migrate:up
alter table t add column b int;
-- migrate:down
