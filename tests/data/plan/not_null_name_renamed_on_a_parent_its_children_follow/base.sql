create table readings (id int constraint id_given not null, "Value" numeric constraint "value needed" not null);
create table readings_2024 () inherits (readings);
create table readings_2025 () inherits (readings);
