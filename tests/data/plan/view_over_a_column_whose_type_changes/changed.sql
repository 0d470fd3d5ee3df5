create table prices (id int, amount numeric(12, 2));
create view expensive as select id, amount from prices where amount > 100;
