create type mood as enum ('calm', 'busy');
create type state as enum ('calm', 'busy', 'away');
create table people (id int, feeling mood default 'calm', moods mood[]);
insert into people values (1, 'busy', '{calm}');
