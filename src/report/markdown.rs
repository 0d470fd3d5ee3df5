//! Findings as a pull request reads them (`--format markdown`, for job summaries and PR
//! comments): a summary line, a table with each finding's file:line linked to the commit when
//! the run knows it, and long lists collapsed. Pure text; the links come from CI variables.

use std::fmt::Write;
use std::path::Path;

use super::diagnostic::Diagnostic;

/// More rows than this go inside a collapsed `<details>` block.
pub const COLLAPSE_AFTER: usize = 10;

/// Where files of the run's commit are browsed: GitHub's server, the repository and the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    server: String,
    repository: String,
    commit: String,
}

impl Links {
    /// From `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and the commit (`SQUASHMATE_COMMIT`, else
    /// `GITHUB_SHA`) as `var` reads them; none when one is missing.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Option<Links> {
        let commit = var("SQUASHMATE_COMMIT").or_else(|| var("GITHUB_SHA"))?;
        Some(Links { server: var("GITHUB_SERVER_URL")?.trim_end_matches('/').to_string(), repository: var("GITHUB_REPOSITORY")?, commit })
    }

    /// [`Links::from_vars`] of this process's environment.
    pub fn from_env() -> Option<Links> {
        Links::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// The URL of `path` (relative to the repository) at the commit, at `line`.
    pub fn file(&self, path: &Path, line: Option<usize>) -> String {
        let anchor = line.map(|l| format!("#L{l}")).unwrap_or_default();
        format!("{}/{}/blob/{}/{}{anchor}", self.server, self.repository, self.commit, path.display())
    }
}

/// `text` safe inside a table cell: pipes escaped, line breaks as `<br>`, whitespace trimmed.
pub fn cell(text: &str) -> String {
    text.trim().replace('\\', "\\\\").replace('|', "\\|").replace("\r\n", "\n").replace('\n', "<br>")
}

/// `text` as inline code in a cell (backticks inside it doubled around).
pub fn code(text: &str) -> String {
    let fence = if text.contains('`') { "``" } else { "`" };
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", cell(text))
}

/// A table; `rows` are already cells. Collapsed under `what` when it is long.
pub fn table(what: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    collapsed(what, rows.len(), &out)
}

/// `body` inside `<details>` (summary: `count what`) when `count` passes [`COLLAPSE_AFTER`].
pub fn collapsed(what: &str, count: usize, body: &str) -> String {
    if count <= COLLAPSE_AFTER { body.to_string() } else { details(&format!("{count} {what}"), body) }
}

/// `body` collapsed under `summary`.
pub fn details(summary: &str, body: &str) -> String {
    format!("<details><summary>{summary}</summary>\n\n{body}\n</details>\n")
}

/// `path:line:col`, linked when `links` are known.
pub fn place(path: &Path, line: Option<usize>, col: Option<usize>, links: Option<&Links>) -> String {
    let mut shown = path.display().to_string();
    if let Some(line) = line {
        let _ = write!(shown, ":{line}");
        if let Some(col) = col {
            let _ = write!(shown, ":{col}");
        }
    }
    match links {
        Some(links) => format!("[{}]({})", cell(&shown), links.file(path, line)),
        None => code(&shown),
    }
}

/// Lint, gate, hash and replay findings: the summary, then one row per finding.
pub fn diagnostics(diagnostics: &[Diagnostic], summary: &str, links: Option<&Links>) -> String {
    let mut out = String::new();
    let mark = if diagnostics.iter().any(Diagnostic::is_error) {
        "❌"
    } else if diagnostics.is_empty() {
        "✅"
    } else {
        "⚠️"
    };
    let summary = if summary.is_empty() { format!("{} finding(s)", diagnostics.len()) } else { summary.to_string() };
    let _ = writeln!(out, "{mark} **{}**\n", cell(&summary));
    if diagnostics.is_empty() {
        return out;
    }
    let rows: Vec<Vec<String>> = diagnostics
        .iter()
        .map(|d| {
            let severity = if d.is_error() { "error" } else { "warning" };
            let (line, col) = (d.location.map(|l| l.line), d.location.map(|l| l.col));
            vec![severity.to_string(), format!("{} {}", code(&d.code), cell(&d.message)), place(&d.path, line, col, links), cell(&d.hint)]
        })
        .collect();
    out.push_str(&table("findings", &["", "Finding", "Where", "Next step"], &rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{LineCol, Part, Severity};

    fn finding(n: usize, severity: Severity) -> Diagnostic {
        Diagnostic {
            code: "unparsable-sql".into(),
            path: format!("db/migrations/{n}_a.sql").into(),
            location: Some(LineCol { line: 3, col: 8 }),
            source_line: None,
            message: "syntax error at or near \"TABLEE\" | here".into(),
            hint: "fix the SQL\nthen run lint again".into(),
            severity,
            part: Part::Up,
        }
    }

    fn links() -> Links {
        Links::from_vars(|name| {
            Some(match name {
                "GITHUB_SERVER_URL" => "https://github.com/".into(),
                "GITHUB_REPOSITORY" => "acme/app".into(),
                "GITHUB_SHA" => "abc123".into(),
                _ => return None,
            })
        })
        .unwrap()
    }

    #[test]
    fn findings_are_a_table_linked_to_the_commit() {
        insta::assert_snapshot!(diagnostics(&[finding(1, Severity::Error), finding(2, Severity::Warning)], "lint: 1 error, 1 warning", Some(&links())), @r#"
        ❌ **lint: 1 error, 1 warning**

        |  | Finding | Where | Next step |
        |---|---|---|---|
        | error | `unparsable-sql` syntax error at or near "TABLEE" \| here | [db/migrations/1_a.sql:3:8](https://github.com/acme/app/blob/abc123/db/migrations/1_a.sql#L3) | fix the SQL<br>then run lint again |
        | warning | `unparsable-sql` syntax error at or near "TABLEE" \| here | [db/migrations/2_a.sql:3:8](https://github.com/acme/app/blob/abc123/db/migrations/2_a.sql#L3) | fix the SQL<br>then run lint again |
        "#);
    }

    #[test]
    fn without_links_places_are_code_and_long_lists_collapse() {
        let many: Vec<Diagnostic> = (1..=11).map(|n| finding(n, Severity::Warning)).collect();
        let text = diagnostics(&many, "", None);
        assert!(text.starts_with("⚠️ **11 finding(s)**\n\n<details><summary>11 findings</summary>\n\n| "), "{text}");
        assert!(text.contains("| `db/migrations/11_a.sql:3:8` |") && text.trim_end().ends_with("</details>"), "{text}");
        assert_eq!(diagnostics(&[], "gate: no findings", None), "✅ **gate: no findings**\n\n");
    }

    #[test]
    fn links_need_every_variable_and_prefer_an_explicit_commit() {
        assert_eq!(Links::from_vars(|n| (n == "GITHUB_SHA").then(|| "x".to_string())), None);
        let explicit = Links::from_vars(|n| match n {
            "SQUASHMATE_COMMIT" => Some("head".into()),
            "GITHUB_SHA" => Some("merge".into()),
            _ => Some("v".into()),
        })
        .unwrap();
        assert_eq!(explicit.file(Path::new("a.sql"), None), "v/v/blob/head/a.sql");
        assert_eq!(code("a`b"), "``a`b``");
    }
}
