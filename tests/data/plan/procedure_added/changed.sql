create table audit (at timestamptz, what text);
create procedure note(what text) language sql as $$insert into audit values (now(), what)$$;
