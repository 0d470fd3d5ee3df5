create function greet(name text) returns text language sql as $$select 'hello ' || name$$;
