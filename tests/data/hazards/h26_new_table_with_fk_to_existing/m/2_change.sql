-- migrate:up
create table orders (id bigint primary key, t_id bigint references t (id));
-- migrate:down
