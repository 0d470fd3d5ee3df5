create extension btree_gist;
create table rooms (room int, during tstzrange, constraint no_double_booking exclude using gist (room with =, during with &&));
