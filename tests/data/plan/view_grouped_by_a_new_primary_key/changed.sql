CREATE TABLE accounts (id integer NOT NULL PRIMARY KEY, owner text, balance integer);
-- owner is allowed without an aggregate because id is the primary key
CREATE VIEW account_peaks AS SELECT id, owner, max(balance) AS peak FROM accounts GROUP BY id;
CREATE MATERIALIZED VIEW account_ids AS SELECT id FROM account_peaks;
CREATE UNIQUE INDEX ON account_ids (id);
