create table events (id int, at date not null) partition by range (at);
create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
