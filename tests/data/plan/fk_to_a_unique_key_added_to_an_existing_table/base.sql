create table parent (id int primary key, code text not null);
create table child (id int primary key, parent_code text);
