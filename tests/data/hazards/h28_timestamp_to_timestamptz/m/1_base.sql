-- migrate:up
create table events (id bigint primary key, happened_at timestamp(3) not null);
-- migrate:down
