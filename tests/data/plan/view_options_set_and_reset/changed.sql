create table staff (id int, name text, salary int);
create view staff_names with (security_invoker = true) as select id, name from staff;
create view staff_pay as select id, salary from staff;
create materialized view staff_count with (fillfactor = 80) as select count(*) as n from staff;
create view staff_new with (security_barrier = true, check_option = local) as select id, name from staff where id > 0;
