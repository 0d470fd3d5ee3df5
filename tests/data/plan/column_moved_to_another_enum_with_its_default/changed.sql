create type mood as enum ('calm', 'busy');
create type state as enum ('calm', 'busy', 'away');
create table people (id int, feeling state default 'away', moods state[]);
