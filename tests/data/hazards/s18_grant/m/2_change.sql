-- migrate:up
grant select on t to public;
-- migrate:down
