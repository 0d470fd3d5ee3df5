CREATE FUNCTION join_step(acc text, item text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN acc = '' THEN item ELSE acc || ',' || item END $$;
CREATE AGGREGATE joined(text) (SFUNC = join_step, STYPE = text, INITCOND = '');
CREATE FUNCTION old_step(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;
CREATE AGGREGATE old_total(integer) (SFUNC = old_step, STYPE = integer);
