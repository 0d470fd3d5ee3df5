-- migrate:up
ALTER TABLE agents ALTER COLUMN model TYPE varchar(128);
ALTER TABLE invoices ALTER COLUMN currency DROP DEFAULT;

-- migrate:down
ALTER TABLE invoices ALTER COLUMN currency SET DEFAULT 'EUR';
ALTER TABLE agents ALTER COLUMN model TYPE varchar(64);
