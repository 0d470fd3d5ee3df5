-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY tasks_assignee_open_idx ON tasks (assignee_id) WHERE status <> 'done';

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY tasks_assignee_open_idx;
