create function total(a int, b int) returns bigint language sql as 'select (a + b)::bigint';
