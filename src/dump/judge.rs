//! The independent judge: two `pg_dump --schema-only` texts equal up to line order (so the
//! column order a rollback or a plan may change is not a difference, but every statement,
//! privilege and owner is). The catalog compare can have blind spots; this one reads what
//! PostgreSQL's own dump says.

use std::collections::BTreeMap;

/// How many differing lines a failure shows.
const SHOWN: usize = 40;

/// The dump's statement lines as a multiset: comments and blank lines left out, a trailing
/// comma dropped (the last column of a table has none), a storage-parameter list (`WITH (a=1,
/// b=2)`, a set PostgreSQL keeps in the order it was written) sorted.
fn lines(dump: &str) -> BTreeMap<String, usize> {
    let mut counted = BTreeMap::new();
    for line in dump.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with("--") {
            continue;
        }
        *counted.entry(sorted_parameters(line.strip_suffix(',').unwrap_or(line))).or_insert(0) += 1;
    }
    counted
}

/// `line` with the items of a `WITH (…)` at its start sorted (pg_dump writes storage parameters
/// alone on such a line).
fn sorted_parameters(line: &str) -> String {
    let Some(list) = line.strip_prefix("WITH (").and_then(|rest| rest.strip_suffix(");").or_else(|| rest.strip_suffix(')'))) else {
        return line.to_string();
    };
    let mut items: Vec<&str> = list.split(", ").collect();
    items.sort_unstable();
    format!("WITH ({}){}", items.join(", "), if line.ends_with(';') { ";" } else { "" })
}

/// `Ok` when `left` and `right` hold the same lines; else the lines only one side has, each
/// marked with the side's name.
pub fn compare_dumps(left_name: &str, left: &str, right_name: &str, right: &str) -> Result<(), String> {
    let (left, right) = (lines(left), lines(right));
    let mut only = Vec::new();
    for (line, count) in &left {
        let missing = count.saturating_sub(*right.get(line).unwrap_or(&0));
        only.extend(std::iter::repeat_n(format!("only in {left_name}: {line}"), missing));
    }
    for (line, count) in &right {
        let missing = count.saturating_sub(*left.get(line).unwrap_or(&0));
        only.extend(std::iter::repeat_n(format!("only in {right_name}: {line}"), missing));
    }
    if only.is_empty() {
        return Ok(());
    }
    let more = only.len().saturating_sub(SHOWN);
    only.truncate(SHOWN);
    if more > 0 {
        only.push(format!("… and {more} more line(s)"));
    }
    Err(format!("pg_dump --schema-only texts differ:\n{}", only.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_order_and_comments_do_not_count_and_a_lost_grant_does() {
        let left = "-- a\nCREATE TABLE t (\n    a integer,\n    b text\n);\nGRANT SELECT ON TABLE public.t TO app;\n";
        let right = "CREATE TABLE t (\n    b text,\n    a integer\n);\n\nGRANT SELECT ON TABLE public.t TO app;\n";
        assert_eq!(compare_dumps("chain", left, "baseline", right), Ok(()));
        let options = compare_dumps(
            "a",
            "CREATE TABLE t ()\nWITH (fillfactor='80', autovacuum_enabled='false');\n",
            "b",
            "CREATE TABLE t ()\nWITH (autovacuum_enabled='false', fillfactor='80');\n",
        );
        assert_eq!(options, Ok(()));
        let lost = compare_dumps("chain", left, "baseline", &right.replace("GRANT SELECT ON TABLE public.t TO app;\n", "")).unwrap_err();
        assert!(lost.ends_with("only in chain: GRANT SELECT ON TABLE public.t TO app;"), "{lost}");
    }
}
