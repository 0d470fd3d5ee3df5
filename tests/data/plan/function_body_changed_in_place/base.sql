create function answer() returns int language sql as 'select 41';
