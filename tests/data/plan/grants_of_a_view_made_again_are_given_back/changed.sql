-- A view made again (a column's type changes under it) and an enum made again (a label goes)
-- lose their grants: the plan gives them back as the target has them.
create table orders (id int primary key, amount bigint);
create view order_totals as select id, amount from orders;
grant select on order_totals to pg_monitor;
create type mood as enum ('ok');
create table moods (m mood);
grant usage on type mood to pg_monitor;
