//! `squashmate hash`: writes `migrations.sum` beside the migrations directory; `--check`
//! verifies it without git and names the first file that differs.

use std::path::{Path, PathBuf};

use super::{EXIT_FINDINGS, EXIT_OK};
use crate::migration::{Depth, SumMismatch, check_sum, discover_to, render_sum, sum_path};
use crate::report::{Diagnostic, Format, render};

/// The migrations of `dirs` as (file name, text), in dbmate's order.
pub fn ordered_files(dirs: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
    let found = discover_to(dirs, Depth::Markers)?;
    Ok(found.files.into_iter().map(|f| (f.filename.clone(), f.source.text().to_string())).collect())
}

/// Writes or checks the sum file.
pub fn run(dirs: &[PathBuf], sum_file: Option<&Path>, check: bool, format: Format) -> anyhow::Result<u8> {
    let path = sum_file.map_or_else(|| sum_path(dirs), Path::to_path_buf);
    let files = ordered_files(dirs)?;
    if !check {
        crate::migration::write_file(&path, render_sum(&files).as_bytes())?;
        outln!("Writing: {} ({} migrations)", path.display(), files.len());
        return Ok(EXIT_OK);
    }
    let finding = match std::fs::read_to_string(&path) {
        Err(_) => Some(Diagnostic::for_path(
            &path,
            "sum-missing",
            format!("{} is missing", path.display()),
            "run `squashmate hash` and commit the file",
        )),
        Ok(text) => check_sum(&text, &files).map(|mismatch| mismatch_diagnostic(&path, mismatch)),
    };
    let findings: Vec<Diagnostic> = finding.into_iter().collect();
    let summary = if findings.is_empty() {
        format!("{}: matches the {} migrations", path.display(), files.len())
    } else {
        format!("{}: does not match the migrations", path.display())
    };
    out!("{}", render(&findings, format, &summary));
    Ok(if findings.is_empty() { EXIT_OK } else { EXIT_FINDINGS })
}

fn mismatch_diagnostic(path: &Path, mismatch: SumMismatch) -> Diagnostic {
    let mut d = match &mismatch {
        SumMismatch::Corrupt => {
            Diagnostic::for_path(path, "sum-mismatch", format!("{} was edited by hand", path.display()), "run `squashmate hash`")
        }
        SumMismatch::File { filename, what, .. } => Diagnostic::for_path(
            path,
            "sum-mismatch",
            format!("{filename}: {what}"),
            "if the change is intended (a new migration), run `squashmate hash`; an applied migration must not change",
        ),
    };
    if let SumMismatch::File { line, .. } = mismatch {
        d.location = Some(crate::migration::LineCol { line, col: 1 });
    }
    d
}
