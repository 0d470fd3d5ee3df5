-- migrate:up
ALTER TABLE events ADD CONSTRAINT events_kind_check
    CHECK (kind IN ('task.created', 'task.updated', 'comment.created'));

-- migrate:down
ALTER TABLE events DROP CONSTRAINT events_kind_check;
