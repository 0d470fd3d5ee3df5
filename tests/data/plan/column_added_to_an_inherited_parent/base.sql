create table animals (id int, name text);
create table dogs (breed text) inherits (animals);
