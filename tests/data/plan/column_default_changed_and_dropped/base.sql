create table jobs (id int, state text default 'new', tries int default 0);
