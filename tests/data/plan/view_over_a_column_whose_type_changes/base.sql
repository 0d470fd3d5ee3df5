create table prices (id int, amount int);
create view expensive as select id, amount from prices where amount > 100;
