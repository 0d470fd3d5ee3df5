CREATE FUNCTION join_step(acc text, item text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN acc = '' THEN item ELSE acc || ',' || item END $$;
CREATE AGGREGATE joined(text) (SFUNC = join_step, STYPE = text, INITCOND = '-');
COMMENT ON AGGREGATE joined(text) IS 'Joins with commas';
CREATE FUNCTION "Add Step"(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;
CREATE FUNCTION "Sub Step"(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT $1 - $2 $$;
CREATE AGGREGATE "Running Sum"(numeric) (
    SFUNC = "Add Step", STYPE = numeric, INITCOND = '0', COMBINEFUNC = "Add Step",
    MSFUNC = "Add Step", MINVFUNC = "Sub Step", MSTYPE = numeric, MINITCOND = '0', PARALLEL = SAFE
);
CREATE TABLE ledger (amount numeric);
CREATE VIEW ledger_total AS SELECT "Running Sum"(amount) AS total FROM ledger;
