create table tenants (id uuid, region text);
create table projects (id int primary key, tenant uuid, region text);
