-- migrate:up
CREATE TABLEE t (id int);
-- migrate:down
