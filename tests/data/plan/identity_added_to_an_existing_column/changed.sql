create table items (id int generated always as identity, name text);
