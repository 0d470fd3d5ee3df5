CREATE TABLE stamped (created_at timestamp DEFAULT now(), "Revision" integer);
CREATE TABLE documents (title text, body text) INHERITS (stamped);
INSERT INTO documents (title, "Revision") VALUES ('a', 3);
