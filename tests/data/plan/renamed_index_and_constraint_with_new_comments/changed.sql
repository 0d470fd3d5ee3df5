create table test (id integer, n integer constraint n_above_zero check (n > 0));
create index new_idx on test (id);
comment on index new_idx is 'New index';
comment on constraint n_above_zero on test is 'new rule';
