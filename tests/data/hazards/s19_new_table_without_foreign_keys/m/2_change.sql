-- migrate:up
create table audit (id bigserial primary key, at timestamptz default now());
-- migrate:down
