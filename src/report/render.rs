//! Renders diagnostics as text (with the offending line and a caret), JSON, or GitHub
//! workflow annotations.

use std::fmt::Write;

use super::Diagnostic;

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For people: location, message, the line itself and the next step.
    #[default]
    Text,
    /// One JSON document for machines.
    Json,
    /// `::error file=…,line=…,col=…::…` lines for GitHub Actions.
    Github,
    /// A summary line and tables, for job summaries and pull request comments.
    Markdown,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Github, Format::Markdown];

    /// The name used on the command line (`--format json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Github => "github",
            Format::Markdown => "markdown",
        }
    }
}

/// Renders `diagnostics` in `format`; `summary` is the closing line of the text format.
pub fn render(diagnostics: &[Diagnostic], format: Format, summary: &str) -> String {
    match format {
        Format::Text => text(diagnostics, summary),
        Format::Json => {
            let doc = serde_json::json!({ "summary": summary, "findings": diagnostics });
            serde_json::to_string_pretty(&doc).expect("diagnostics serialise") + "\n"
        }
        Format::Github => diagnostics.iter().map(github).collect(),
        Format::Markdown => super::markdown::diagnostics(diagnostics, summary, super::markdown::Links::from_env().as_ref()),
    }
}

fn text(diagnostics: &[Diagnostic], summary: &str) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(out, "{}[{}]: {}\n  --> {}", severity(d), d.code, d.message, d.place());
        if let (Some(line), Some(l)) = (&d.source_line, d.location) {
            let number = l.line.to_string();
            let pad = " ".repeat(number.len());
            let caret_pad: String = line.chars().take(l.col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            let _ = writeln!(out, "{pad} |\n{number} | {line}\n{pad} | {caret_pad}^");
        }
        let _ = writeln!(out, "  = next: {}\n", d.hint);
    }
    if !summary.is_empty() {
        out.push_str(summary);
        out.push('\n');
    }
    out
}

/// One line (and its next step) for a problem a command prints on stderr and runs past.
pub fn warning_line(d: &Diagnostic) -> String {
    let why = match (d.is_error(), d.part) {
        (true, super::Part::Down) => " (in a down block: this command does not run it; rolling back this file will refuse)",
        (true, super::Part::Up) => " (in an up block: this command does not run it)",
        _ => "",
    };
    format!("warning[{}]: {}: {}{why}\n  = next: {}", d.code, d.place(), d.message, d.hint)
}

fn severity(d: &Diagnostic) -> &'static str {
    if d.is_error() { "error" } else { "warning" }
}

fn github(d: &Diagnostic) -> String {
    let mut props = format!("file={}", escape_property(&d.path.display().to_string()));
    if let Some(l) = d.location {
        let _ = write!(props, ",line={},col={}", l.line, l.col);
    }
    let _ = write!(props, ",title={}", escape_property(&d.code));
    format!("::{} {props}::{}\n", severity(d), escape_data(&format!("{} — next: {}", d.message, d.hint)))
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::LineCol;

    fn sample() -> Diagnostic {
        Diagnostic {
            code: "unparsable-sql".into(),
            path: "db/migrations/1_a.sql".into(),
            location: Some(LineCol { line: 3, col: 8 }),
            source_line: Some("CREATE TABLEE t ();".into()),
            message: "syntax error at or near \"TABLEE\"".into(),
            hint: "fix the SQL here".into(),
            severity: crate::report::Severity::Error,
            part: crate::report::Part::Up,
        }
    }

    #[test]
    fn text_shows_the_line_and_a_caret() {
        insta::assert_snapshot!(render(&[sample()], Format::Text, "1 problem"), @r#"
        error[unparsable-sql]: syntax error at or near "TABLEE"
          --> db/migrations/1_a.sql:3:8
          |
        3 | CREATE TABLEE t ();
          |        ^
          = next: fix the SQL here

        1 problem
        "#);
    }

    #[test]
    fn github_annotations_escape_properties() {
        assert_eq!(
            render(&[sample()], Format::Github, ""),
            "::error file=db/migrations/1_a.sql,line=3,col=8,title=unparsable-sql::syntax error at or near \"TABLEE\" — next: fix the SQL here\n"
        );
    }

    #[test]
    fn json_carries_location_fields() {
        let doc: serde_json::Value = serde_json::from_str(&render(&[sample()], Format::Json, "1 problem")).unwrap();
        assert_eq!(doc["findings"][0]["line"], 3);
        assert_eq!(doc["findings"][0]["col"], 8);
        assert_eq!(doc["findings"][0]["path"], "db/migrations/1_a.sql");
    }
}
