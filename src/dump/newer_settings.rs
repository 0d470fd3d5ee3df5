//! Settings a newer `pg_dump` writes that older servers do not know (`SET transaction_timeout`
//! from pg_dump 17 on): made only where the server knows them, so a dump of a newer pg_dump
//! loads on every major it can dump.

use crate::sql::quote_literal;

/// The settings, with the `server_version_num` that introduced each.
const NEWER_SETTINGS: [(&str, u32); 1] = [("transaction_timeout", 170_000)];

/// `name = value` of a `SET` (without `SET `) that only newer servers know: its name, value
/// and the version that knows it.
pub fn newer_setting(assignment: &str) -> Option<(&str, &str, u32)> {
    let (name, value) = assignment.split_once(" = ")?;
    let since = NEWER_SETTINGS.iter().find(|(known, _)| *known == name.trim())?.1;
    Some((name.trim(), value.trim().trim_end_matches(';').trim_matches('\''), since))
}

/// A statement (without `;`) making the setting where the server knows it, for the
/// transaction (`local`) or the session.
pub fn guarded_setting(name: &str, value: &str, since: u32, local: bool) -> String {
    format!(
        "SELECT pg_catalog.set_config({}, {}, {local}) WHERE pg_catalog.current_setting('server_version_num')::integer >= {since}",
        quote_literal(name),
        quote_literal(value)
    )
}

/// A plain-format dump with its leading `SET` lines of newer settings guarded (session-wide,
/// as `psql` would run them). Only the settings block before the first other statement is
/// read: nothing in the schema or the data is touched.
pub fn guard_newer_settings(dump: &str) -> String {
    let mut out = String::with_capacity(dump.len());
    let mut in_header = true;
    for line in dump.split_inclusive('\n') {
        let trimmed = line.trim_end();
        let setting = trimmed.strip_prefix("SET ").and_then(newer_setting);
        match setting {
            Some((name, value, since)) if in_header => {
                out.push_str(&guarded_setting(name, value, since, false));
                out.push_str(";\n");
            }
            _ => {
                let header_line = trimmed.is_empty()
                    || trimmed.starts_with("--")
                    || trimmed.starts_with("SET ")
                    || trimmed.starts_with("SELECT pg_catalog.set_config(")
                    || trimmed.starts_with('\\');
                in_header &= header_line;
                out.push_str(line);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_leading_settings_are_guarded() {
        let dump = "SET statement_timeout = 0;\nSET transaction_timeout = 0;\nCREATE TABLE t (a text);\nSET transaction_timeout = 0;\n";
        assert_eq!(
            guard_newer_settings(dump),
            "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('transaction_timeout', '0', false) WHERE pg_catalog.current_setting('server_version_num')::integer >= 170000;\nCREATE TABLE t (a text);\nSET transaction_timeout = 0;\n"
        );
    }
}
