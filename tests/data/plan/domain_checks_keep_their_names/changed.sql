CREATE DOMAIN "Percent" AS numeric(5,2) CONSTRAINT "Not Negative" CHECK (VALUE >= 0) CONSTRAINT at_most_100 CHECK (VALUE <= 100);
CREATE TABLE scores (value "Percent");
