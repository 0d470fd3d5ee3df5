-- migrate:up
ALTER TYPE task_status ADD VALUE 'blocked' BEFORE 'done';

-- migrate:down
-- enum values cannot be removed
