-- migrate:up
cluster t using t_pkey;
-- migrate:down
