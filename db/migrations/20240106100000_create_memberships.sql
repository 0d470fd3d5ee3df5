-- migrate:up
CREATE TYPE member_role AS ENUM ('owner', 'admin', 'member');

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role member_role NOT NULL DEFAULT 'member',
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);

-- migrate:down
DROP TABLE memberships;
DROP TYPE member_role;
