//! `squashmate lint`: print every problem, exit 1 when there is one.

use std::path::PathBuf;

use super::{EXIT_FINDINGS, EXIT_OK};
use crate::lint::lint;
use crate::migration::discover;
use crate::report::{Format, render};

/// Lints `dirs` and prints the findings in `format`.
pub fn run(dirs: &[PathBuf], format: Format) -> anyhow::Result<u8> {
    let found = discover(dirs)?;
    let findings = lint(&found);
    let errors = findings.iter().filter(|d| d.is_error()).count();
    let warnings = findings.len() - errors;
    let summary = match (errors, warnings) {
        (0, 0) => format!("{} migration(s) checked: no problems", found.files.len()),
        (e, w) => format!("{} migration(s) checked: {e} error(s), {w} warning(s)", found.files.len()),
    };
    out!("{}", render(&findings, format, &summary));
    // Warnings are files dbmate runs fine: they do not fail the check.
    Ok(if errors == 0 { EXIT_OK } else { EXIT_FINDINGS })
}
