-- migrate:up transaction:false
reindex table concurrently t;
-- migrate:down
