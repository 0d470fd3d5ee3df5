create table rect (w int, h int, area int generated always as (w * h) stored);
