create table accounts (org int, id int, primary key (org, id));
create table entries (org int, account int, foreign key (org, account) references accounts (org, id));
