create table geo (city text, zip text);
