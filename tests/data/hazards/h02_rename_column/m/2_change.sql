-- migrate:up
alter table t rename column a to a2;
-- migrate:down
