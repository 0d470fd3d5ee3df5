-- migrate:up
CREATE TYPE task_status AS ENUM ('todo', 'doing', 'done');

CREATE TABLE tasks (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title varchar(200) NOT NULL,
    status task_status NOT NULL DEFAULT 'todo',
    assignee_id bigint REFERENCES users (id) ON DELETE SET NULL,
    due_on date,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE tasks;
DROP TYPE task_status;
