create table cases (id int not null unique, title text);
create table notes (id int primary key, case_id int references cases (id));
