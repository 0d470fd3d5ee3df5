CREATE TABLE stamped (created_at timestamp DEFAULT now());
CREATE TABLE documents ("Revision" integer, title text) INHERITS (stamped);
