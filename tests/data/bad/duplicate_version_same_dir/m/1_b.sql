-- migrate:up
select 2;
-- migrate:down
