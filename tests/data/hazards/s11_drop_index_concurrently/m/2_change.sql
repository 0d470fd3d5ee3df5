-- migrate:up transaction:false
drop index concurrently t_a_idx;
-- migrate:down
