create table events (id serial primary key, note text);
