create table logs (id int, at timestamptz, level text);
create index logs_at_idx on logs (at);
create unique index "Logs id and level, uniquely" on logs (id, level);
comment on index "Logs id and level, uniquely" is 'one row per level';
create index an_index_name_of_exactly_sixty_three_bytes_for_the_limit_____63 on logs (level);
create table accounts (id int not null, region text not null);
create unique index accounts_id_region on accounts (id, region);
create table payments (account int, region text, foreign key (account, region) references accounts (id, region));
