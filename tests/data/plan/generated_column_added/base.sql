create table rect (w int, h int);
