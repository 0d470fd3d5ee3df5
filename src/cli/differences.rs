//! Prints schema differences: text (class, path, left and right values), JSON, GitHub
//! annotations or Markdown — with the classes the user ignores left out and counted.

use std::fmt::Write;

use crate::catalog::{Class, Difference};
use crate::report::Format;

/// Renders `differences` (those of `ignore` hidden) with a closing summary; `extra` lines are
/// findings of another kind (ledger problems), shown first.
pub fn render(differences: &[Difference], ignore: &[Class], extra: &[String], format: Format) -> String {
    let shown: Vec<&Difference> = differences.iter().filter(|d| !ignore.contains(&d.class)).collect();
    let count = |c: Class| shown.iter().filter(|d| d.class == c).count();
    let hidden = differences.len() - shown.len();
    let summary = format!(
        "{} difference(s): {} destructive, {} needs-confirm, {} safe, {} cosmetic{}",
        shown.len(),
        count(Class::Destructive),
        count(Class::NeedsConfirm),
        count(Class::Safe),
        count(Class::Cosmetic),
        if hidden > 0 { format!(" ({hidden} ignored)") } else { String::new() }
    );
    match format {
        Format::Json => {
            let doc = serde_json::json!({ "summary": summary, "problems": extra, "differences": shown });
            serde_json::to_string_pretty(&doc).expect("differences serialise") + "\n"
        }
        Format::Github => {
            let mut out = String::new();
            for line in extra {
                let _ = writeln!(out, "::error title=ledger::{line}");
            }
            for d in &shown {
                let level = if matches!(d.class, Class::Destructive | Class::NeedsConfirm) { "error" } else { "warning" };
                let _ = writeln!(out, "::{level} title={}::{}: {} → {}", d.class.as_str(), d.path, one_line(&d.left), one_line(&d.right));
            }
            out
        }
        Format::Markdown => markdown(&shown, extra, &summary),
        Format::Text => {
            let mut out = String::new();
            for line in extra {
                let _ = writeln!(out, "problem        {line}");
            }
            for d in &shown {
                let _ =
                    writeln!(out, "{:<14} {}\n    left:  {}\n    right: {}", d.class.as_str(), d.path, indent(&d.left), indent(&d.right));
            }
            out.push_str(&summary);
            out.push('\n');
            out
        }
    }
}

/// The summary, then a table: ledger problems first, then each difference with both sides.
fn markdown(shown: &[&Difference], extra: &[String], summary: &str) -> String {
    use crate::report::markdown::{cell, code, table};
    let serious = !extra.is_empty() || shown.iter().any(|d| matches!(d.class, Class::Destructive | Class::NeedsConfirm));
    let mark = if serious {
        "❌"
    } else if shown.is_empty() {
        "✅"
    } else {
        "⚠️"
    };
    let mut rows: Vec<Vec<String>> = extra.iter().map(|line| vec!["problem".into(), cell(line), String::new(), String::new()]).collect();
    rows.extend(shown.iter().map(|d| {
        let side = |text: &str| if text.is_empty() { String::new() } else { code(&one_line(text)) };
        vec![d.class.as_str().to_string(), code(&d.path.to_string()), side(&d.left), side(&d.right)]
    }));
    let mut out = format!("{mark} **{}**\n\n", cell(summary));
    if !rows.is_empty() {
        out.push_str(&table("differences", &["Class", "Object", "Left", "Right"], &rows));
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn indent(text: &str) -> String {
    text.trim_end().replace('\n', "\n           ")
}
