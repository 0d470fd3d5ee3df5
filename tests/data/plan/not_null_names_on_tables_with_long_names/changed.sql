-- Names past 63 bytes: PostgreSQL 18 shortens `<table>_<column>_not_null` (makeObjectName).
create table measurements_of_the_northern_weather_stations_by_the_hour (
  station_identifier_code int constraint station_required not null,
  reading_value_in_celsius int not null,
  recorded_at_local_time timestamptz constraint recorded_given not null
);
