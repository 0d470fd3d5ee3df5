do $$ begin create role "readers, all"; exception when duplicate_object then null; end $$;
do $$ begin create role "say ""hi"", x"; exception when duplicate_object then null; end $$;
create table t (id int, note text);
grant select, insert on t to "readers, all" with grant option;
grant select on t to "say ""hi"", x";
