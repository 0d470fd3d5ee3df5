create table memberships (org int, usr int);
