create table logs (id int, at timestamptz, level text);
create index logs_at_idx on logs (at);
