-- migrate:up
create table t (id int);
-- migrate:down
drop tabel t;
