-- migrate:up
create function f() returns int language plpgsql as $body$
begin
-- migrate:down
  return 1;
end $body$;
-- migrate:down
drop function f();
