create table orders (id int primary key, amount int);
create view order_totals as select id, amount from orders;
grant select on order_totals to pg_monitor;
create type mood as enum ('ok', 'bad');
create table moods (m mood);
grant usage on type mood to pg_monitor;
