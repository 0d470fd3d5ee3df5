-- migrate:up
set lock_timeout = '2s';
alter table t add constraint t_name_unique unique using index t_name_key;
-- migrate:down
