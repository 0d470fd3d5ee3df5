-- migrate:up transaction:false
CREATE UNIQUE INDEX CONCURRENTLY api_tokens_token_hash_idx ON api_tokens (token_hash);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY api_tokens_token_hash_idx;
