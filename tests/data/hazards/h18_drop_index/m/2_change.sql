-- migrate:up
drop index t_a_idx;
-- migrate:down
