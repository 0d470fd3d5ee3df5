create table sensors (id int constraint sensors_id_required not null, label text, code text not null);
