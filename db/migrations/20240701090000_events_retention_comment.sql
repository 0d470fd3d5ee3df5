-- migrate:up
COMMENT ON TABLE events IS 'Append-only activity log; kept for 400 days.';
COMMENT ON COLUMN events.kind IS 'What happened, e.g. task.created.';

-- migrate:down
COMMENT ON TABLE events IS NULL;
COMMENT ON COLUMN events.kind IS NULL;
