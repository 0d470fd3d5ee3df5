-- migrate:up
selec 1;
create table ok (a int);
insert into ok values (1,);
-- migrate:down
