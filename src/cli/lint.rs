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
    let summary = match findings.len() {
        0 => format!("{} migration(s) checked: no problems", found.files.len()),
        n => format!("{} migration(s) checked: {n} problem(s)", found.files.len()),
    };
    out!("{}", render(&findings, format, &summary));
    Ok(if findings.is_empty() { EXIT_OK } else { EXIT_FINDINGS })
}
