-- migrate:up
UPDATE users SET full_name = split_part(email, '@', 1) WHERE full_name IS NULL;
ALTER TABLE users ALTER COLUMN full_name SET NOT NULL;

-- migrate:down
ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;
