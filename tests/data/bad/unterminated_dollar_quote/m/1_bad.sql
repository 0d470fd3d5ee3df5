-- migrate:up
create function f() returns int language sql as $$ select 1;
-- migrate:down
