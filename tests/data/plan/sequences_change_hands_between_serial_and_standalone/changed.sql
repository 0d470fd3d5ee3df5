CREATE SEQUENCE tickets_id_seq;
CREATE TABLE tickets (id integer NOT NULL DEFAULT nextval('tickets_id_seq'::regclass) PRIMARY KEY, title text);
CREATE SEQUENCE "Invoice Numbers" START 100 OWNED BY NONE;
CREATE TABLE invoices (id integer NOT NULL DEFAULT nextval('"Invoice Numbers"'::regclass) PRIMARY KEY);
ALTER SEQUENCE "Invoice Numbers" OWNED BY invoices.id;
