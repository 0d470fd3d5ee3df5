CREATE TABLE legacy_totals (amount integer);
