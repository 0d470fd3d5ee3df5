CREATE DOMAIN "Percent" AS numeric(5,2) CHECK (VALUE >= 0) CHECK (VALUE <= 100);
CREATE TABLE scores (value "Percent");
