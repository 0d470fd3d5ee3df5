-- migrate:up
ALTER TABLE projects ADD COLUMN description text;
ALTER TABLE agents ALTER COLUMN name DROP NOT NULL;

-- migrate:down
ALTER TABLE agents ALTER COLUMN name SET NOT NULL;
ALTER TABLE projects DROP COLUMN description;
