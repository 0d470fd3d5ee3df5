-- migrate:up
comment on table t is 'things';
create view t_names as select id, name from t;
-- migrate:down
