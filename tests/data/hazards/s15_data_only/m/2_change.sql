-- migrate:up
insert into u values (1), (2);
update t set name = 'x' where id = 1;
-- migrate:down
