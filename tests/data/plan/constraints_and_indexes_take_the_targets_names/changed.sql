CREATE TABLE "Accounts" (id integer PRIMARY KEY, email text, balance integer CONSTRAINT "Balance Not Negative" CHECK (balance >= 0), "Region" text);
ALTER TABLE "Accounts" ADD CONSTRAINT "Email Unique" UNIQUE (email);
CREATE INDEX "By Region" ON "Accounts" ("Region");
CREATE TABLE orders (id integer PRIMARY KEY, account_id integer CONSTRAINT "FK_Account" REFERENCES "Accounts" (id));
