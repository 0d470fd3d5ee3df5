create table animals (id int, name text, born date);
create table dogs (breed text) inherits (animals);
