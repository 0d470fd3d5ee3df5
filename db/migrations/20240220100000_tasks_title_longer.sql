-- migrate:up
ALTER TABLE tasks ALTER COLUMN title TYPE varchar(500);

-- migrate:down
ALTER TABLE tasks ALTER COLUMN title TYPE varchar(200);
