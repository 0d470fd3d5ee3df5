create type level as enum ('low', 'high');
create table alerts (id int, severity level);
