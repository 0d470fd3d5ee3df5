create type level as enum ('low', 'medium', 'high', 'critical');
create table alerts (id int, severity level);
