create domain percent as int check (value between 0 and 100);
create table scores (id int, p percent);
