create table accounts (id int, updated_at timestamptz);
create function touch() returns trigger language plpgsql as $$begin new.updated_at := now(); return new; end$$;
create trigger accounts_touch before update on accounts for each row execute function touch();
