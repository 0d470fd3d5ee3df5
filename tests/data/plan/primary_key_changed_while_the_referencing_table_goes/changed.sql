CREATE TABLE members (handle text PRIMARY KEY);
