-- migrate:up
create table n (id int);
create index n_id_idx on n (id);
drop index n_id_idx;
-- migrate:down
