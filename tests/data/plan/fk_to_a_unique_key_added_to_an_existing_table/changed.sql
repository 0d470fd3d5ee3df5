create table parent (id int primary key, code text not null unique);
create table child (id int primary key, parent_code text references parent (code) on delete set null);
