CREATE TABLE shipments (id bigint NOT NULL, "Region" text NOT NULL, priority integer DEFAULT 0, note text) PARTITION BY LIST ("Region");
CREATE TABLE shipments_eu PARTITION OF shipments FOR VALUES IN ('eu');
