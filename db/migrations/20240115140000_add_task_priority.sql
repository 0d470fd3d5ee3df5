-- migrate:up
ALTER TABLE tasks ADD COLUMN priority smallint NOT NULL DEFAULT 3;
ALTER TABLE tasks ADD CONSTRAINT tasks_priority_check CHECK (priority BETWEEN 1 AND 5);

-- migrate:down
ALTER TABLE tasks DROP COLUMN priority;
