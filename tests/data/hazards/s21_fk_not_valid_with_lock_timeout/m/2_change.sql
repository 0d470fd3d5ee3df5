-- migrate:up
set lock_timeout = '2s';
alter table t add constraint t_a_fk foreign key (a) references u (id) not valid;
-- migrate:down
