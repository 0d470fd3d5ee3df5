create domain percent as int default 0 check (value >= 0) check (value <= 100);
create table scores (id int, p percent);
