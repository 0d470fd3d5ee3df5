CREATE TABLE "Tickets" (id serial PRIMARY KEY, title text);
GRANT INSERT ON "Tickets" TO pg_monitor;
