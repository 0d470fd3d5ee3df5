create table metrics (id int, value bigint);
