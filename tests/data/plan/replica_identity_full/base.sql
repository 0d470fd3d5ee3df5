create table feed (id int, body text);
