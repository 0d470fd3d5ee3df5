-- migrate:up
alter table t add column owner text not null;
-- migrate:down
