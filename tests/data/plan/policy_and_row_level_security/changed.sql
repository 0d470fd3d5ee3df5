create table notes (id int, owner text);
alter table notes enable row level security;
create policy own_notes on notes for select using (owner = current_user);
