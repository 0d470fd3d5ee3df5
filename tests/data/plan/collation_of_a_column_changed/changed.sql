create table words (w text collate "C");
