-- migrate:up
CREATE TABLE agent_runs (
    organization_id uuid NOT NULL,
    agent_id bigint NOT NULL,
    run_no integer NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'finished', 'failed')),
    started_at timestamptz,
    PRIMARY KEY (organization_id, agent_id, run_no),
    FOREIGN KEY (organization_id, agent_id) REFERENCES agents (organization_id, id) ON DELETE CASCADE
);

COMMENT ON COLUMN agent_runs.run_no IS 'Per-agent run counter, starting at 1.';

-- migrate:down
DROP TABLE agent_runs;
