-- migrate:up
ALTER TABLE comments RENAME TO task_comments;

-- migrate:down
ALTER TABLE task_comments RENAME TO comments;
