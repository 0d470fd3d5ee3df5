create type public.stage as enum ('draft', 'live');
create type public.doc_state as (stage stage, since date);
create table t (id int, state doc_state);
