//! A plain `pg_dump` text as its entries (each under pg_dump's `-- Name: …; Type: …` header),
//! so that what a setup made can be taken out of a dump that holds the setup and the chain.

/// One entry: its header (`Name: users; Type: TABLE; Schema: auth`, owner left out) and its
/// text, header lines included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry<'a> {
    key: String,
    text: &'a str,
}

impl Entry<'_> {
    /// The entry's type (`TABLE`, `ACL`, `TABLE DATA`, …).
    fn kind(&self) -> &str {
        self.key.split("; Type: ").nth(1).and_then(|rest| rest.split(';').next()).unwrap_or("")
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
/// way) has as they are. A privilege or comment entry the chain changed stays (it runs after
/// the setup); any other entry the chain changed cannot be expressed without the setup's own
/// statement: those are returned as the error, by header.
pub fn without_setup_entries(dump: &str, setup_dump: &str) -> Result<String, Vec<String>> {
    let (_, setup) = entries(setup_dump);
    let (preamble, all) = entries(dump);
    let mut out = preamble.to_string();
    let mut changed = Vec::new();
    for entry in all {
        match setup.iter().find(|s| s.key == entry.key) {
            Some(made) if made.text == entry.text => {}
            Some(_) if matches!(entry.kind(), "ACL" | "COMMENT" | "DEFAULT ACL") => out.push_str(entry.text),
            Some(_) => changed.push(entry.key.clone()),
            None => out.push_str(entry.text),
        }
    }
    if changed.is_empty() { Ok(out) } else { Err(changed) }
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
    fn a_setup_table_the_chain_changed_is_refused_by_name() {
        let both = SETUP.replace("(id uuid)", "(id uuid, name text)");
        assert_eq!(without_setup_entries(&both, SETUP), Err(vec!["Name: users; Type: TABLE; Schema: auth".to_string()]));
    }
}
