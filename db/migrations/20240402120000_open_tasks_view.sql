-- migrate:up
CREATE VIEW open_tasks AS
    SELECT t.id, t.project_id, t.title, t.status, t.assignee_id, t.due_on
    FROM tasks t
    WHERE t.status <> 'done';

-- migrate:down
DROP VIEW open_tasks;
