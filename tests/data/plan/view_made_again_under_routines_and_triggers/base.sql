CREATE TABLE "Members" (id integer PRIMARY KEY, email text NOT NULL, joined date, legacy_code text);
CREATE VIEW member_cards AS SELECT id, email, joined, legacy_code FROM "Members";
CREATE VIEW member_emails AS SELECT id, email FROM member_cards;
CREATE FUNCTION card_of(member integer) RETURNS member_cards LANGUAGE sql STABLE AS $$ SELECT * FROM member_cards WHERE id = member $$;
CREATE FUNCTION first_card() RETURNS SETOF member_cards LANGUAGE sql STABLE AS $$ SELECT * FROM member_cards LIMIT 1 $$;
CREATE FUNCTION ignore_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER keep_insert INSTEAD OF INSERT ON member_emails FOR EACH ROW EXECUTE FUNCTION ignore_change();
CREATE TRIGGER drop_delete INSTEAD OF DELETE ON member_emails FOR EACH ROW EXECUTE FUNCTION ignore_change();
