do $$ begin create role "readers, all"; exception when duplicate_object then null; end $$;
do $$ begin create role "say ""hi"", x"; exception when duplicate_object then null; end $$;
create table t (id int, note text);
grant select on t to "readers, all";
grant update (note) on t to "say ""hi"", x";
