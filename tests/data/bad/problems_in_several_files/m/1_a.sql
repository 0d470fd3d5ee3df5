-- migrate:up
selec 1;
-- migrate:down
