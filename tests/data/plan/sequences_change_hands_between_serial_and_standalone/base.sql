CREATE TABLE tickets (id serial PRIMARY KEY, title text);
INSERT INTO tickets (title) VALUES ('a'), ('b');
CREATE SEQUENCE "Invoice Numbers" START 100;
CREATE TABLE invoices (id integer NOT NULL DEFAULT nextval('"Invoice Numbers"'::regclass) PRIMARY KEY);
INSERT INTO invoices DEFAULT VALUES;
