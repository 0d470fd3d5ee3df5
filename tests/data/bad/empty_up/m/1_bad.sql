-- migrate:up
-- todo

-- migrate:down
