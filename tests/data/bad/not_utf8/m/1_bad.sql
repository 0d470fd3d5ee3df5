-- migrate:up
-- fine
insert into t values ('café');
-- migrate:down
