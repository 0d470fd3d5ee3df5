CREATE TABLE shipments (id bigint NOT NULL, "Region" text NOT NULL, priority integer DEFAULT 0, note text) PARTITION BY LIST ("Region");
CREATE TABLE shipments_eu PARTITION OF shipments FOR VALUES IN ('eu');
CREATE TABLE "Shipments US" PARTITION OF shipments (priority DEFAULT 10, note NOT NULL) FOR VALUES IN ('us');
COMMENT ON COLUMN "Shipments US".note IS 'Required for customs';
