create table items (id serial, name text);
comment on sequence items_id_seq is 'numbers the items';
