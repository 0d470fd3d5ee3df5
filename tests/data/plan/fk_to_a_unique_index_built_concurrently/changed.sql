create table tenants (id uuid, region text);
create unique index tenants_id_region_key on tenants (id, region);
create table projects (id int primary key, tenant uuid, region text, foreign key (tenant, region) references tenants (id, region));
create table tasks (id int primary key, tenant uuid, region text, foreign key (tenant, region) references tenants (id, region));
