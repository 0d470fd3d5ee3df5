create table memberships (org int, usr int, constraint memberships_org_usr_key unique (org, usr));
