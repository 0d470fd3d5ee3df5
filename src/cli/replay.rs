//! `squashmate replay`: the whole chain on a fresh ephemeral database, file by file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::ledger::ApplyError;
use crate::lint::check_runnable;
use crate::migration::{LineCol, Part, Severity, Way, discover};
use crate::replay::{ReplayError, replay};
use crate::report::{Diagnostic, Format, render, warning_line};
use crate::server::{EphemeralServer, ServerOptions};

/// Replays the migrations in `dirs` on a server chosen by `options` (with `check_down`, each
/// file's down block too).
pub async fn run(dirs: &[PathBuf], format: Format, options: &ServerOptions, check_down: bool) -> anyhow::Result<u8> {
    let found = discover(dirs)?;
    match check_runnable(&found, Way::Up) {
        Ok(warnings) => warnings.iter().for_each(|w| eprintln!("{}", warning_line(w))),
        Err(refused) => {
            out!("{}", render(&refused.problems, format, "lint found problems: nothing was replayed; fix them first"));
            return Ok(EXIT_FINDINGS);
        }
    }
    if found.files.is_empty() {
        bail!("no migrations found in {}; check --migrations-dir", show_dirs(dirs));
    }
    let started = Instant::now();
    let server = EphemeralServer::start(options).await?;
    let start_time = started.elapsed();
    let cache = match server.warm_start() {
        Some(true) => ", cached cluster",
        Some(false) => ", fresh initdb",
        None => "",
    };
    eprintln!("Started PostgreSQL {} in {:.2?}{cache}", server.version(), start_time);
    if check_down {
        return check_downs(&server, &found.files, format).await;
    }
    let result = replay(&server, &found.files, |file, took| {
        if format == Format::Text {
            outln!("Applied: {} in {took:.2?}", file.filename);
        }
    })
    .await;
    match result {
        Ok(report) => {
            outln!(
                "Replayed {} migration(s) from {} in {:.2?} on PostgreSQL {}",
                report.applied.len(),
                show_dirs(dirs),
                report.total,
                server.version()
            );
            Ok(EXIT_OK)
        }
        Err(ReplayError::Migration { source: ApplyError::Statement(failure), applied }) => {
            let diagnostic = Diagnostic {
                code: format!("sqlstate-{}", failure.sqlstate),
                path: PathBuf::from(&failure.path),
                location: Some(LineCol { line: failure.location.line, col: failure.location.col }),
                source_line: Some(failure.line_text.clone()),
                message: failure.message.clone(),
                hint: "fix this statement; nothing of this file was applied".into(),
                severity: Severity::Error,
                part: Part::Up,
            };
            let summary = format!("replay stopped after {} applied migration(s)", applied.len());
            out!("{}", render(&[diagnostic], format, &summary));
            Ok(EXIT_ERROR)
        }
        Err(other) => Err(other.into()),
    }
}

fn show_dirs(dirs: &[PathBuf]) -> String {
    dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// `--check-down`: every down block on the server; one finding per down that does not undo.
async fn check_downs(server: &EphemeralServer, files: &[crate::migration::MigrationFile], format: Format) -> anyhow::Result<u8> {
    let findings = crate::replay::check_down(server, files).await?;
    let diagnostics: Vec<Diagnostic> = findings
        .iter()
        .map(|f| {
            let mut d = Diagnostic::for_path(
                &f.file,
                f.code,
                f.message.clone(),
                "make the down block undo exactly what the up block does, or make it refuse with a clear message",
            );
            d.part = Part::Down;
            d
        })
        .collect();
    let summary = match diagnostics.len() {
        0 => format!("{} down block(s) checked: each restores the schema the up changed", files.len()),
        n => format!("{} down block(s) checked: {n} do not", files.len()),
    };
    out!("{}", render(&diagnostics, format, &summary));
    Ok(if diagnostics.is_empty() { EXIT_OK } else { EXIT_FINDINGS })
}
