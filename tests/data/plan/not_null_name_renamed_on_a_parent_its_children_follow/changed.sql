-- PostgreSQL 18 renames a parent's NOT NULL constraint in every child that inherits it.
create table readings (id int constraint id_required not null, "Value" numeric constraint "Value Required" not null, note text);
create table readings_2024 () inherits (readings);
create table readings_2025 () inherits (readings);
