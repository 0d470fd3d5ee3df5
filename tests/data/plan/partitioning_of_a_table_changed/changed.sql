CREATE TABLE readings (sensor integer NOT NULL, taken date NOT NULL, value numeric, unit text) PARTITION BY RANGE (taken);
CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE readings_2025 (sensor integer NOT NULL, taken date NOT NULL, value numeric);
CREATE TABLE "Plain Events" (id integer NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE "Plain Events 2026" PARTITION OF "Plain Events" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE split_events (id integer NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE split_events_1 PARTITION OF split_events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
