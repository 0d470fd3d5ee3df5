create table old_stats (id int, n int);
create view old_totals as select sum(n) as total from old_stats;
create table kept (id int);
