//! `squashmate lint`: print every problem (and, with `--hazards`, every hazard); exit 1 on an
//! error (or a hazard, with `--deny-hazards`).

use std::path::PathBuf;

use super::{EXIT_FINDINGS, EXIT_OK, LintArgs};
use crate::hazards::{Hazards, hazards};
use crate::lint::lint;
use crate::migration::discover;
use crate::report::{Format, render};

/// Lints `dirs` and prints the findings (with `--hazards`, the hazards too).
pub fn run(dirs: &[PathBuf], args: &LintArgs) -> anyhow::Result<u8> {
    let found = discover(dirs)?;
    let mut findings = lint(&found);
    let errors = findings.iter().filter(|d| d.is_error()).count();
    let mut found_hazards = if args.hazards { hazards(&found) } else { Hazards::default() };
    if let Some(since) = &args.since {
        let old: std::collections::BTreeSet<&std::path::Path> =
            found.files.iter().filter(|f| f.version.as_str() <= since.as_str()).map(|f| f.path()).collect();
        found_hazards.findings.retain(|d| !old.contains(d.path.as_path()));
    }
    let hazard_count = found_hazards.findings.len();
    findings.extend(found_hazards.findings);
    findings.sort_by(|a, b| (&a.path, a.location).cmp(&(&b.path, b.location)));
    let warnings = findings.len() - errors - hazard_count;
    let mut summary = match (errors, warnings) {
        (0, 0) => format!("{} migration(s) checked: no problems", found.files.len()),
        (e, w) => format!("{} migration(s) checked: {e} error(s), {w} warning(s)", found.files.len()),
    };
    if args.hazards {
        summary.push_str(&format!("; {hazard_count} hazard(s), {} allowed by a comment", found_hazards.allowed.len()));
    }
    // With the hazards, the checks `check` and `up` ask the database before each statement.
    let derived: Vec<(String, crate::checks::Check)> = if args.hazards {
        found
            .files
            .iter()
            .filter(|f| args.since.as_ref().is_none_or(|since| f.version.as_str() > since.as_str()))
            .flat_map(|f| {
                crate::checks::checks(f).into_iter().map(move |c| {
                    let at = f.source.line_col(c.offset);
                    (format!("{}:{}:{}", f.path().display(), at.line, at.col), c)
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    match args.format {
        Format::Json => {
            let checks: Vec<serde_json::Value> =
                derived.iter().map(|(place, check)| serde_json::json!({ "place": place, "check": check })).collect();
            let doc = serde_json::json!({ "summary": summary, "findings": findings, "allowed": found_hazards.allowed, "checks": checks });
            out!("{}", serde_json::to_string_pretty(&doc)? + "\n");
        }
        format => {
            out!("{}", render(&findings, format, &summary));
            if format == Format::Text && !derived.is_empty() {
                outln!("\nChecks `squashmate check` and `up` ask the database before these statements run:");
                for (place, check) in &derived {
                    outln!("  {place}: {} — {}", check.name, check.finds);
                }
            }
        }
    }
    // Warnings are files dbmate runs fine: they do not fail the check; hazards do when denied.
    Ok(if errors == 0 && !(args.deny_hazards && hazard_count > 0) { EXIT_OK } else { EXIT_FINDINGS })
}
