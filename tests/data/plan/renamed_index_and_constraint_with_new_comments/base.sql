create table test (id integer, n integer constraint n_positive check (n > 0));
create index old_idx on test (id);
comment on index old_idx is 'Old index';
comment on constraint n_positive on test is 'old rule';
