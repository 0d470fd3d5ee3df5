create table sales (id int, amount int);
create materialized view sales_total as select sum(amount) as total from sales;
create index sales_total_idx on sales_total (total);
