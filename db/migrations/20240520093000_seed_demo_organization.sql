-- migrate:up
INSERT INTO organizations (id, name, slug)
VALUES ('00000000-0000-4000-8000-000000000001', 'Demo Org', 'demo');

INSERT INTO users (email, full_name) VALUES ('owner@example.com', 'Demo Owner');

INSERT INTO memberships (organization_id, user_id, role)
SELECT '00000000-0000-4000-8000-000000000001', id, 'owner' FROM users WHERE email = 'owner@example.com';

-- migrate:down
DELETE FROM organizations WHERE slug = 'demo';
DELETE FROM users WHERE email = 'owner@example.com';
