//! dbmate's post-processing of a schema dump, byte for byte: the ledger `INSERT` block,
//! leading comments and blank lines removed, trailing whitespace trimmed on every line.

/// The block dbmate appends: a comment header and, when there are rows, one `INSERT`.
/// `quoted_versions` are SQL literals, ascending.
pub fn ledger_block(qualified_table: &str, quoted_versions: &[String]) -> String {
    let mut out = String::from("\n--\n-- Dbmate schema migrations\n--\n\n");
    if !quoted_versions.is_empty() {
        out.push_str(&format!("INSERT INTO {qualified_table} (version) VALUES\n    ({});\n", quoted_versions.join("),\n    (")));
    }
    out
}

/// Drops blank and `--` lines before the first other line, and trailing whitespace everywhere.
pub fn trim_leading_sql_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut preamble = true;
    for line in lines(text) {
        if preamble && (line.is_empty() || line.starts_with("--")) {
            continue;
        }
        preamble = false;
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Drops lines whose first non-blank character is `\` (psql meta-commands such as `\restrict`).
pub fn strip_psql_meta_commands(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in lines(text).filter(|l| !l.trim_start().starts_with('\\')) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Lines as Go's `bufio.ScanLines` yields them: split at `\n`, a trailing `\r` dropped, no
/// empty line after a final newline.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.strip_suffix('\n').unwrap_or(text).split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(move |_| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_like_dbmate() {
        let dump = "\n--\n-- PostgreSQL database dump\n--\n\nSET x = 1;   \n\n-- kept\nCREATE TABLE t ();\r\n";
        assert_eq!(trim_leading_sql_comments(dump), "SET x = 1;\n\n-- kept\nCREATE TABLE t ();\n");
        assert_eq!(trim_leading_sql_comments(""), "");
    }

    #[test]
    fn ledger_block_matches_dbmate() {
        assert_eq!(ledger_block("public.schema_migrations", &[]), "\n--\n-- Dbmate schema migrations\n--\n\n");
        assert_eq!(
            ledger_block("public.schema_migrations", &["'1'".into(), "'2'".into()]),
            "\n--\n-- Dbmate schema migrations\n--\n\nINSERT INTO public.schema_migrations (version) VALUES\n    ('1'),\n    ('2');\n"
        );
    }

    #[test]
    fn strips_meta_commands() {
        assert_eq!(strip_psql_meta_commands("\\restrict k\nSET a;\n  \\unrestrict k\n"), "SET a;\n");
    }
}
