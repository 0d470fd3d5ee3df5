-- migrate:up
CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

ALTER TABLE tasks ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER tasks_touch_updated_at BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE projects ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER projects_touch_updated_at BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- migrate:down
DROP TRIGGER projects_touch_updated_at ON projects;
ALTER TABLE projects DROP COLUMN updated_at;
DROP TRIGGER tasks_touch_updated_at ON tasks;
ALTER TABLE tasks DROP COLUMN updated_at;
DROP FUNCTION touch_updated_at();
