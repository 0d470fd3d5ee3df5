-- migrate:up
create table t (id bigint primary key, note varchar(20));
alter table t rename to notes;
-- migrate:down
