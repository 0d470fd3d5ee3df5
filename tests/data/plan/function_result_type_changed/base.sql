create function total(a int, b int) returns int language sql as 'select a + b';
