//! `squashmate replay`: the whole chain on a fresh ephemeral database, file by file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::ledger::ApplyError;
use crate::lint::check_runnable;
use crate::migration::{LineCol, Part, Severity, Way, discover};
use crate::replay::{ReplayError, replay_after};
use crate::report::{Diagnostic, Format, render, warning_line};
use crate::server::{EphemeralServer, ServerOptions};

/// What a replay does besides applying the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Apply it, timing each file.
    Apply,
    /// Prove each down block.
    CheckDown,
    /// Record what each statement did.
    Trace,
}

/// Replays the migrations in `dirs` on a server chosen by `options`, as `mode` says.
pub async fn run(dirs: &[PathBuf], format: Format, options: &ServerOptions, mode: Mode) -> anyhow::Result<u8> {
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
    match mode {
        Mode::CheckDown => return check_downs(&server, &options.setup, &found.files, format).await,
        Mode::Trace => return traced(&server, &options.setup, &found, format).await,
        Mode::Apply => {}
    }
    let result = replay_after(&server, &options.setup, &found.files, &crate::ledger::LedgerTable::default(), |file, took| {
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
async fn check_downs(
    server: &EphemeralServer,
    setup: &crate::setup::Setup,
    files: &[crate::migration::MigrationFile],
    format: Format,
) -> anyhow::Result<u8> {
    let findings = crate::replay::check_down(server, setup, files).await?;
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

/// `--trace`: each file's statements with what they did, and the verdict on each static hazard.
async fn traced(
    server: &EphemeralServer,
    setup: &crate::setup::Setup,
    found: &crate::migration::Discovery,
    format: Format,
) -> anyhow::Result<u8> {
    let traces = match crate::replay::trace(server, setup, &found.files).await {
        Ok(traces) => traces,
        Err(ReplayError::Migration { source, applied }) => {
            outln!("the trace stopped after {} file(s) (with sample rows in every table): {source}", applied.len());
            return Ok(EXIT_ERROR);
        }
        Err(other) => return Err(other.into()),
    };
    let hazards = crate::hazards::hazards(found).findings;
    let mut files = Vec::new();
    for (file, trace) in found.files.iter().zip(&traces) {
        let places: Vec<LineCol> = trace.statements.iter().map(|s| file.source.line_col(s.offset)).collect();
        let mut statements = Vec::new();
        for (i, statement) in trace.statements.iter().enumerate() {
            let verdicts: Vec<serde_json::Value> = hazards
                .iter()
                .filter(|h| h.path == file.path())
                .filter(|h| h.location.is_some_and(|l| l >= places[i] && places.get(i + 1).is_none_or(|next| l < *next)))
                .map(|h| serde_json::json!({ "code": h.code, "server": crate::replay::judge(&h.code, statement) }))
                .collect();
            statements.push(serde_json::json!({
                "line": places[i].line, "col": places[i].col, "locks": statement.locks, "rewritten": statement.rewritten,
                "took_ms": statement.took.as_millis(), "locks_observed": statement.observed, "hazards": verdicts,
            }));
        }
        files.push(serde_json::json!({ "file": trace.file, "statements": statements }));
    }
    if format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "files": files }))?);
        return Ok(EXIT_OK);
    }
    for file in &files {
        outln!("{}", file["file"].as_str().unwrap_or_default());
        for s in file["statements"].as_array().into_iter().flatten() {
            let locks: Vec<String> =
                s["locks"].as_object().into_iter().flatten().map(|(t, m)| format!("{} on {t}", m.as_str().unwrap_or_default())).collect();
            let locks = if locks.is_empty() {
                if s["locks_observed"] == true { "no lock on an existing table".to_string() } else { "locks not seen".to_string() }
            } else {
                locks.join(", ")
            };
            let rewrite = match s["rewritten"].as_array() {
                Some(tables) if !tables.is_empty() => {
                    format!("rewrite of {}", tables.iter().filter_map(|t| t.as_str()).collect::<Vec<_>>().join(", "))
                }
                _ => "no rewrite".to_string(),
            };
            outln!("  {}:{}  {} ms  {locks}; {rewrite}", s["line"], s["col"], s["took_ms"]);
            for h in s["hazards"].as_array().into_iter().flatten() {
                outln!(
                    "      hazard {}: {} ({})",
                    h["code"].as_str().unwrap_or_default(),
                    h["server"]["verdict"].as_str().unwrap_or_default(),
                    h["server"]["detail"].as_str().unwrap_or_default()
                );
            }
        }
    }
    outln!("Traced {} migration(s) with sample rows in every table on PostgreSQL {}", traces.len(), server.version());
    Ok(EXIT_OK)
}
