create table audit (at timestamptz, what text);
