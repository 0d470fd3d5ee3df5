create function pick(n int) returns table (id int, label text) language sql as 'select n, n::text';
