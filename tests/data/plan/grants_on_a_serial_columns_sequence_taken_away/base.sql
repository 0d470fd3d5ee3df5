CREATE TABLE "Tickets" (id serial PRIMARY KEY, title text);
GRANT INSERT ON "Tickets" TO pg_monitor;
GRANT USAGE ON SEQUENCE "Tickets_id_seq" TO pg_monitor;
