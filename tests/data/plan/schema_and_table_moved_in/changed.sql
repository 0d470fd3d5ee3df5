create schema billing;
create table t (id int);
create table billing.invoices (id int primary key, t_id int);
