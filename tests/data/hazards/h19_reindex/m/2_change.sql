-- migrate:up
reindex table t;
-- migrate:down
