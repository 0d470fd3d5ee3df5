-- migrate:up
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_tenant_isolation ON projects
    USING (organization_id = nullif(current_setting('app.organization_id', true), '')::uuid);

-- migrate:down
DROP POLICY projects_tenant_isolation ON projects;
ALTER TABLE projects DISABLE ROW LEVEL SECURITY;
