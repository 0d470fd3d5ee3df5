CREATE SCHEMA shop;
CREATE TABLE shop."Order Lines" (id bigint PRIMARY KEY, sku text NOT NULL, qty integer NOT NULL);
CREATE VIEW shop.line_skus AS SELECT id, sku FROM shop."Order Lines";
