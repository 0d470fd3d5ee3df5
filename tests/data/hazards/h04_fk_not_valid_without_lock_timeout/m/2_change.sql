-- migrate:up
alter table t add constraint t_a_fk foreign key (a) references u (id) not valid;
-- migrate:down
