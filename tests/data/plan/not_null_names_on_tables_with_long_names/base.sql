create table measurements_of_the_northern_weather_stations_by_the_hour (
  station_identifier_code int,
  reading_value_in_celsius int constraint reading_required not null,
  recorded_at_local_time timestamptz not null
);
