create function total(a int) returns int language sql as $$ select a $$;
comment on function total(int) is 'the total, as the report shows it';
revoke execute on function total(int) from public;
grant execute on function total(int) to pg_monitor;
alter function total(int) owner to pg_monitor;
