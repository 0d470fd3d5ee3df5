create extension btree_gist;
create table rooms (room int, during tstzrange);
