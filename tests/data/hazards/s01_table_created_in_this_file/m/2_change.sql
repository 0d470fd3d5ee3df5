-- migrate:up
create table n (id int, label text);
alter table n alter column id type bigint;
alter table n alter column id set not null;
create index n_label_idx on n (label);
alter table n add constraint n_label_unique unique (label);
-- migrate:down
