create table events (id bigserial primary key, note text);
