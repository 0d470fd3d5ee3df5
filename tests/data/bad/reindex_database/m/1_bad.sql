-- migrate:up
reindex database app;
-- migrate:down
