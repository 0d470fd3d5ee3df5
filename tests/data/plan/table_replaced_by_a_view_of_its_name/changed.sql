CREATE SCHEMA shop;
CREATE TABLE shop.order_lines_v2 (id bigint PRIMARY KEY, sku text NOT NULL, qty integer NOT NULL, note text);
CREATE VIEW shop."Order Lines" AS SELECT id, sku, qty FROM shop.order_lines_v2;
CREATE VIEW shop.line_skus AS SELECT id, sku FROM shop."Order Lines";
