-- migrate:up
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check
    CHECK (kind IN ('task.created', 'task.updated', 'comment.created', 'agent.ran'));

-- migrate:down
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check
    CHECK (kind IN ('task.created', 'task.updated', 'comment.created'));
