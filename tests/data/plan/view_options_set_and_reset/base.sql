create table staff (id int, name text, salary int);
create view staff_names as select id, name from staff;
create view staff_pay with (security_barrier = true) as select id, salary from staff;
create materialized view staff_count as select count(*) as n from staff;
