create table items (name text);
