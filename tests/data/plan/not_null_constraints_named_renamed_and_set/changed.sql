create table sensors (
  id int constraint "Sensor ID required" not null,
  label text constraint label_required not null,
  code text not null,
  level int constraint level_given not null default 1
);
create table gauges (g int constraint "gauge needed" not null);
