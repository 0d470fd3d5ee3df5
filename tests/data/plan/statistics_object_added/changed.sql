create table geo (city text, zip text);
create statistics geo_city_zip (dependencies) on city, zip from geo;
