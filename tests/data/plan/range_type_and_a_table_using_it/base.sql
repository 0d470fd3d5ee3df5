create table bookings (id int);
