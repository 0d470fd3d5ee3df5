create type timespan as range (subtype = timestamptz);
create table bookings (id int, during timespan);
