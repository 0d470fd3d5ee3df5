create table accounts (id int, updated_at timestamptz);
