//! A plain `pg_dump` text as its entries (each under pg_dump's `-- Name: …; Type: …` header),
//! so that what a setup made can be taken out of a dump that holds the setup and the chain.

/// One entry: its header (`Name: users; Type: TABLE; Schema: auth`, owner left out) and its
/// text, header lines included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry<'a> {
    key: String,
    text: &'a str,
}

impl<'a> Entry<'a> {
    /// The entry's type (`TABLE`, `ACL`, `TABLE DATA`, …).
    fn kind(&self) -> &str {
        self.key.split("; Type: ").nth(1).and_then(|rest| rest.split(';').next()).unwrap_or("")
    }

    /// The entry itself, and the session lines pg_dump printed after it for the next entry
    /// (`SET default_tablespace`, `SET default_table_access_method`, the `\unrestrict` line
    /// of the trailer) with the blank lines among them: those belong to no object.
    fn split_session_lines(&self) -> (&'a str, &'a str) {
        let mut end = self.text.len();
        for line in self.text.split_inclusive('\n').rev() {
            let trimmed = line.trim();
            let session = trimmed.is_empty()
                || trimmed == "--"
                || trimmed == "-- PostgreSQL database dump complete"
                || trimmed.starts_with("SET ")
                || trimmed.starts_with("SELECT pg_catalog.set_config(")
                || trimmed.starts_with("\\unrestrict ")
                || trimmed.starts_with("\\restrict ");
            if !session {
                break;
            }
            end -= line.len();
        }
        self.text.split_at(end)
    }

    /// What the entry makes, for comparing: its own text, trimmed.
    fn object(&self) -> &'a str {
        self.split_session_lines().0.trim()
    }
}

/// The text before the first entry, and the entries.
fn entries(dump: &str) -> (&str, Vec<Entry<'_>>) {
    let mut starts = Vec::new();
    let mut at = 0;
    let lines: Vec<&str> = dump.split_inclusive('\n').collect();
    let mut offsets = Vec::with_capacity(lines.len());
    for line in &lines {
        offsets.push(at);
        at += line.len();
    }
    for i in 1..lines.len() {
        let header = lines[i].starts_with("-- Name: ") || lines[i].starts_with("-- Data for Name: ");
        if header && lines[i - 1].trim_end() == "--" {
            starts.push((offsets[i - 1], header_key(lines[i])));
        }
    }
    let preamble_end = starts.first().map_or(dump.len(), |(start, _)| *start);
    let found = starts
        .iter()
        .enumerate()
        .map(|(n, (start, key))| {
            let end = starts.get(n + 1).map_or(dump.len(), |(next, _)| *next);
            Entry { key: key.clone(), text: &dump[*start..end] }
        })
        .collect();
    (&dump[..preamble_end], found)
}

/// `-- Name: users; Type: TABLE; Schema: auth; Owner: postgres` without the comment marker
/// and the owner.
fn header_key(line: &str) -> String {
    let line = line.trim_end().trim_start_matches("-- ");
    match line.find("; Owner: ") {
        Some(at) => line[..at].to_string(),
        None => line.to_string(),
    }
}

/// `dump` (setup and chain) without the entries `setup_dump` (the setup alone, dumped the same
/// way) has as they are — judged on the object each makes, not on the session lines pg_dump
/// prints between entries, which depend on what follows (a setup object the chain only
/// references is never "changed"). The session lines after a removed entry stay, for the
/// entry they were printed for. A privilege or comment entry the chain changed stays (it runs
/// after the setup); any other entry the chain changed cannot be expressed without the setup's
/// own statement: those are returned as the error, by header.
pub fn without_setup_entries(dump: &str, setup_dump: &str) -> Result<String, Vec<String>> {
    let (_, setup) = entries(setup_dump);
    let (preamble, all) = entries(dump);
    let mut out = preamble.to_string();
    let mut changed = Vec::new();
    for entry in all {
        match setup.iter().find(|s| s.key == entry.key) {
            Some(made) if made.object() == entry.object() => {
                for line in entry.split_session_lines().1.lines().filter(|l| !l.trim().is_empty()) {
                    out.push_str(line);
                    out.push_str("\n\n");
                }
            }
            Some(_) if matches!(entry.kind(), "ACL" | "COMMENT" | "DEFAULT ACL") => out.push_str(entry.text),
            Some(_) => changed.push(entry.key.clone()),
            None => out.push_str(entry.text),
        }
    }
    if changed.is_empty() { Ok(out) } else { Err(changed) }
}

/// What a `pg_dump --schema-only --table=<ledger>` says beyond the table itself, which dbmate
/// creates before it applies any migration: its privileges and comments (whole entries) and an
/// owner the chain gave it (the `ALTER TABLE … OWNER TO` line of its entry, unless it names the
/// `runner`, who creates the table anyway).
pub fn ledger_extras(dump: &str, runner: &str) -> String {
    let runners_own = format!(" OWNER TO {};", crate::sql::quote_ident_if_needed(runner));
    let (_, all) = entries(dump);
    let mut out = String::new();
    for entry in all {
        match entry.kind() {
            "ACL" | "COMMENT" => out.push_str(entry.object()),
            "TABLE" => {
                let owner = entry.object().lines().find(|l| l.starts_with("ALTER TABLE ") && l.contains(" OWNER TO "));
                match owner.filter(|l| !l.ends_with(&runners_own)) {
                    Some(line) => out.push_str(line),
                    None => continue,
                }
            }
            _ => continue,
        }
        out.push_str("\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETUP: &str = "SET x = 1;\n\n--\n-- Name: auth; Type: SCHEMA; Schema: -; Owner: postgres\n--\n\nCREATE SCHEMA auth;\n\n\
        --\n-- Name: users; Type: TABLE; Schema: auth; Owner: postgres\n--\n\nCREATE TABLE auth.users (id uuid);\n\n";

    #[test]
    fn what_the_setup_made_is_taken_out_and_what_the_chain_added_stays() {
        let both = format!(
            "{SETUP}--\n-- Name: notes; Type: TABLE; Schema: public; Owner: postgres\n--\n\nCREATE TABLE public.notes (owner uuid);\n\n\
             --\n-- Name: TABLE users; Type: ACL; Schema: auth; Owner: postgres\n--\n\nGRANT SELECT ON TABLE auth.users TO app;\n\n"
        );
        let out = without_setup_entries(&both, SETUP).unwrap();
        assert!(out.starts_with("SET x = 1;\n\n--\n-- Name: notes;"), "{out}");
        assert!(!out.contains("CREATE SCHEMA auth") && !out.contains("CREATE TABLE auth.users"), "{out}");
        assert!(out.contains("GRANT SELECT ON TABLE auth.users TO app;"), "{out}");
    }

    #[test]
    fn a_setup_entry_differing_only_by_the_session_lines_after_it_is_the_setups() {
        // In the setup's dump the last entry ends the dump; in the chain's a table follows it,
        // so pg_dump printed the table's session settings (and the trailer's key differs).
        let setup = format!("{SETUP}--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n");
        let both = format!(
            "{SETUP}SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n\n\
             --\n-- Name: profiles; Type: TABLE; Schema: public; Owner: postgres\n--\n\n\
             CREATE TABLE public.profiles (id uuid);\n\n\\unrestrict xyz\n"
        );
        let out = without_setup_entries(&both, &setup).unwrap();
        assert!(!out.contains("CREATE TABLE auth.users"), "{out}");
        assert!(
            out.contains("SET default_table_access_method = heap;\n\n--\n-- Name: profiles;"),
            "the next entry keeps its settings: {out}"
        );
    }

    #[test]
    fn the_ledgers_privileges_comment_and_owner_are_what_comes_beyond_its_table() {
        let dump = "SET x = 1;\n\n--\n-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: app\n--\n\n\
            CREATE TABLE public.schema_migrations (version character varying NOT NULL);\n\n\n\
            ALTER TABLE public.schema_migrations OWNER TO app;\n\n\
            --\n-- Name: TABLE schema_migrations; Type: COMMENT; Schema: public; Owner: app\n--\n\n\
            COMMENT ON TABLE public.schema_migrations IS 'ledger';\n\n\
            --\n-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: app\n--\n\n\
            ALTER TABLE ONLY public.schema_migrations ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);\n\n\
            --\n-- Name: TABLE schema_migrations; Type: ACL; Schema: public; Owner: app\n--\n\n\
            GRANT SELECT ON TABLE public.schema_migrations TO reader;\n\n\\unrestrict k\n";
        let extras = ledger_extras(dump, "postgres");
        assert!(extras.contains("ALTER TABLE public.schema_migrations OWNER TO app;"), "{extras}");
        assert!(!ledger_extras(dump, "app").contains("OWNER TO"), "the runner's own table needs no owner");
        let only_owned = dump.split("--\n-- Name: TABLE schema_migrations; Type: COMMENT").next().unwrap();
        assert_eq!(ledger_extras(only_owned, "app"), "", "nothing beyond the table");
        assert!(extras.contains("COMMENT ON TABLE public.schema_migrations IS 'ledger';"), "{extras}");
        assert!(extras.contains("GRANT SELECT ON TABLE public.schema_migrations TO reader;"), "{extras}");
        assert!(!extras.contains("CREATE TABLE") && !extras.contains("PRIMARY KEY") && !extras.contains("unrestrict"), "{extras}");
    }

    #[test]
    fn a_setup_table_the_chain_changed_is_refused_by_name() {
        let both = SETUP.replace("(id uuid)", "(id uuid, name text)");
        assert_eq!(without_setup_entries(&both, SETUP), Err(vec!["Name: users; Type: TABLE; Schema: auth".to_string()]));
    }
}
