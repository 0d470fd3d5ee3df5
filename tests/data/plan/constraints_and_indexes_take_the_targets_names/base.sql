CREATE TABLE "Accounts" (id integer PRIMARY KEY, email text, balance integer CHECK (balance >= 0), "Region" text);
ALTER TABLE "Accounts" ADD CONSTRAINT old_email_unique UNIQUE (email);
CREATE INDEX accounts_region_idx ON "Accounts" ("Region");
CREATE TABLE orders (id integer PRIMARY KEY, account_id integer REFERENCES "Accounts" (id));
