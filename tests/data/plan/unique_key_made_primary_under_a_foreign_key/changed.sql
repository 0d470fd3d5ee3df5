create table cases (id int primary key, title text);
create table notes (id int primary key, case_id int references cases (id));
