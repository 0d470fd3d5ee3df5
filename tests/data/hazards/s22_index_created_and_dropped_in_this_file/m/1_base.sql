-- migrate:up
create table t (id bigint primary key, a int, name text, v varchar(20), amount numeric(10,2));
create table u (id int primary key);
create index t_a_idx on t (a);
create function f() returns trigger language plpgsql as $$ begin return new; end $$;
-- migrate:down
