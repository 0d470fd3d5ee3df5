-- migrate:up
CREATE TABLE agents (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id bigint NOT NULL,
    name text NOT NULL,
    model varchar(64) NOT NULL DEFAULT 'small',
    skill_auto_granted_domains text[],
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);

-- migrate:down
DROP TABLE agents;
