create table t (id int, name text);
comment on table t is 'things';
comment on column t.name is 'what it is called';
