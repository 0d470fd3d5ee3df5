create table measurements (id bigint not null, taken date not null, sensor text) partition by range (taken);
create table measurements_2025 partition of measurements for values from ('2025-01-01') to ('2026-01-01');
create table measurements_2026 partition of measurements for values from ('2026-01-01') to ('2027-01-01');
create index measurements_sensor_idx on measurements (sensor);
