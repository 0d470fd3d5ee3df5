create table jobs (id int, state text default 'queued', tries int);
