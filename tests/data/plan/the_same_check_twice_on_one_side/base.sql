create table once_then_twice (a integer, b integer, constraint one_pair_positive check (a > 0 and b > 0) no inherit);
create table twice_then_once (a integer, check (a > 0), check (a > 0));
