-- migrate:up
alter system set work_mem = '64MB';
-- migrate:down
