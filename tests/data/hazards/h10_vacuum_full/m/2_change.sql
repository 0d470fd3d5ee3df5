-- migrate:up transaction:false
vacuum full t;
-- migrate:down
