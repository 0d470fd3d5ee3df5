-- migrate:up
CREATE SEQUENCE invoice_number_seq START WITH 1000 INCREMENT BY 1;

CREATE TABLE invoices (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    number bigint NOT NULL DEFAULT nextval('invoice_number_seq'),
    amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
    currency char(3) NOT NULL DEFAULT 'EUR',
    issued_on date NOT NULL DEFAULT current_date,
    PRIMARY KEY (organization_id, number)
);

-- migrate:down
DROP TABLE invoices;
DROP SEQUENCE invoice_number_seq;
