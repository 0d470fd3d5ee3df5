create function pick(n int) returns table (id int) language sql as 'select n';
