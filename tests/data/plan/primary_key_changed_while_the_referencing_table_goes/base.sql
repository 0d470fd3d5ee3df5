CREATE TABLE members (id integer PRIMARY KEY, handle text);
CREATE TABLE badges (id integer PRIMARY KEY, member_id integer REFERENCES members (id));
