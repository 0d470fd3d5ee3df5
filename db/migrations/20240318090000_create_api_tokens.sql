-- migrate:up
CREATE TABLE api_tokens (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL,
    last_used_at timestamptz,
    expires_at timestamptz
);

COMMENT ON TABLE api_tokens IS 'Personal access tokens; only their hash is stored.';

-- migrate:down
DROP TABLE api_tokens;
