create table orders (
  id int,
  status varchar(10) not null check (status in ('pending', 'shipped', 'delivered')),
  amount numeric check (amount = any (array[1, 2]))
);
create index open_orders on orders (id) where status not in ('delivered', 'it''s ])');
create view shipped as select id from orders where status in ('shipped');
create domain short_code as varchar(3) check (value in ('a', 'b'));
