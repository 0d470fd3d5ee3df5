create function greet(who text default 'world') returns text language sql as $$select 'hello ' || who$$;
