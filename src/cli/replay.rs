//! `squashmate replay`: the whole chain on a fresh ephemeral database, file by file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;

use super::progress::Stderr;
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::ledger::ApplyError;
use crate::lint::check_runnable;
use crate::migration::{LineCol, Part, Severity, Way, discover};
use crate::replay::{DownOutcome, ReplayError, replay_after};
use crate::report::{Diagnostic, Format, render, warning_line};
use crate::server::{EphemeralServer, ServerOptions};

/// What a replay does besides applying the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Apply it, timing each file.
    Apply,
    /// Prove each down block; `allow_empty`: an empty down is not a finding.
    CheckDown {
        /// Whether an empty down block is only a warning.
        allow_empty: bool,
    },
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
    let progress = Stderr::for_format(format);
    match mode {
        Mode::CheckDown { allow_empty } => return check_downs(&server, &options.setup, &found.files, format, allow_empty, &progress).await,
        Mode::Trace => return traced(&server, &options.setup, &found, format, &progress).await,
        Mode::Apply => {}
    }
    let result = replay_after(&server, &options.setup, &found.files, &crate::ledger::LedgerTable::default(), &progress, |file, took| {
        if format == Format::Text {
            progress.above(|| outln!("Applied: {} in {took:.2?}", file.filename));
        }
    })
    .await;
    drop(progress);
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
                hint: failure.next(),
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

/// `--check-down`: every down block on the server; one finding per down that does not undo
/// (an irreversible one, and an empty one with `allow_empty`, only warn).
async fn check_downs(
    server: &EphemeralServer,
    setup: &crate::setup::Setup,
    files: &[crate::migration::MigrationFile],
    format: Format,
    allow_empty: bool,
    progress: &Stderr,
) -> anyhow::Result<u8> {
    let results = crate::replay::check_down(server, setup, files, progress).await?;
    let diagnostics: Vec<Diagnostic> = results.iter().filter_map(|r| down_diagnostic(r, files, allow_empty)).collect();
    let count = |wanted: fn(&DownOutcome) -> bool| results.iter().filter(|r| wanted(&r.outcome)).count();
    let tally = [
        (count(|o| matches!(o, DownOutcome::Restores)), "restore the schema"),
        (count(|o| matches!(o, DownOutcome::Irreversible { .. })), "irreversible by design"),
        (count(|o| matches!(o, DownOutcome::Empty)), "empty"),
        (count(|o| matches!(o, DownOutcome::Fails { .. })), "fail"),
        (count(|o| matches!(o, DownOutcome::Incomplete { .. })), "do not restore the schema"),
    ];
    let tally: Vec<String> = tally.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
    let stopped = results.last().filter(|r| matches!(r.outcome, DownOutcome::UpFails { .. }));
    let checked = results.len() - usize::from(stopped.is_some());
    let mut summary =
        format!("{checked} of {} down block(s) checked: {}", files.len(), if tally.is_empty() { "none".into() } else { tally.join(", ") });
    if let Some(stop) = stopped {
        summary.push_str(&format!(
            "; stopped at file {} of {} ({}): its up block fails, so no later file was checked",
            results.len(),
            files.len(),
            stop.file
        ));
    }
    out!("{}", render(&diagnostics, format, &summary));
    let failing = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}

/// The finding for one file's down check (none where the down restores the schema).
fn down_diagnostic(result: &crate::replay::DownResult, files: &[crate::migration::MigrationFile], allow_empty: bool) -> Option<Diagnostic> {
    let located = |code: &str, message: &str, location: Option<LineCol>, hint: &str, part: Part| {
        let mut d = Diagnostic::for_path(&result.file, code, message, hint);
        d.part = part;
        if let Some(l) = location {
            d.location = Some(l);
            d.source_line =
                files.iter().find(|f| f.path().display().to_string() == result.file).map(|f| f.source.line_text(l.line).to_string());
        }
        d
    };
    let mark = crate::replay::IRREVERSIBLE_MARK;
    Some(match &result.outcome {
        DownOutcome::Restores => return None,
        DownOutcome::Irreversible { why } => located(
            "down-irreversible",
            &format!("irreversible by design: {why}"),
            None,
            "nothing to do: rolling this file back is refused on purpose",
            Part::Down,
        )
        .warning(),
        DownOutcome::Empty => {
            let d = located(
                "down-empty",
                "the down block is empty: rolling this file back records it as not applied and undoes nothing",
                None,
                &format!(
                    "write the down block, or say it is meant: a `-- {mark}` comment in it, or --allow-empty-down for a team that does not write downs"
                ),
                Part::Down,
            );
            if allow_empty { d.warning() } else { d }
        }
        DownOutcome::Fails { message, location, next } => located(
            "down-fails",
            &format!("the down block cannot run: {message}"),
            *location,
            next.as_deref().unwrap_or(
                "fix the down block so it undoes the up (the file is still recorded as applied), or make it refuse on purpose (its first statement a RAISE EXCEPTION)",
            ),
            Part::Down,
        ),
        DownOutcome::Incomplete { left } => located(
            "down-incomplete",
            &format!("the down block does not restore the schema:\n  {}", left.join("\n  ")),
            None,
            "make the down block undo exactly what the up block does, or make it refuse on purpose",
            Part::Down,
        ),
        DownOutcome::UpFails { message, location, next } => located(
            "up-fails",
            &format!("the up block fails, so the check stops here: {message}"),
            *location,
            next.as_deref().unwrap_or("fix this statement of the up block"),
            Part::Up,
        ),
    })
}

/// One traced statement as reported: where it is, what it did, what the server says of each
/// static hazard found there.
#[derive(serde::Serialize)]
struct TracedStatement {
    line: usize,
    col: usize,
    locks: std::collections::BTreeMap<String, String>,
    rewritten: Vec<String>,
    took_ms: u128,
    locks_observed: bool,
    hazards: Vec<HazardVerdict>,
}

/// A static hazard and the server's verdict on it.
#[derive(serde::Serialize)]
struct HazardVerdict {
    code: String,
    server: crate::replay::Verdict,
}

/// One traced file as reported.
#[derive(serde::Serialize)]
struct TracedFile {
    file: String,
    /// Where the file fails with sample rows (`path:line:col: message`); traced without them.
    without_sample_rows: Option<String>,
    statements: Vec<TracedStatement>,
}

impl TracedStatement {
    fn locks_text(&self) -> String {
        match (self.locks.is_empty(), self.locks_observed) {
            (true, true) => "no lock on an existing table".to_string(),
            (true, false) => "locks not seen".to_string(),
            (false, _) => self.locks.iter().map(|(table, mode)| format!("{mode} on {table}")).collect::<Vec<_>>().join(", "),
        }
    }

    fn rewrite_text(&self) -> String {
        if self.rewritten.is_empty() { "no rewrite".to_string() } else { format!("rewrite of {}", self.rewritten.join(", ")) }
    }
}

/// `--trace`: each file's statements with what they did, and the verdict on each static hazard.
async fn traced(
    server: &EphemeralServer,
    setup: &crate::setup::Setup,
    found: &crate::migration::Discovery,
    format: Format,
    progress: &Stderr,
) -> anyhow::Result<u8> {
    let traces = match crate::replay::trace(server, setup, &found.files, progress).await {
        Ok(traces) => traces,
        Err(ReplayError::Migration { source, applied }) => {
            outln!("the trace stopped after {} file(s), on a file that fails without sample rows too: {source}", applied.len());
            return Ok(EXIT_ERROR);
        }
        Err(other) => return Err(other.into()),
    };
    let hazards = crate::hazards::hazards(found).findings;
    let mut files = Vec::new();
    for (file, trace) in found.files.iter().zip(&traces) {
        let places: Vec<LineCol> = trace.statements.iter().map(|s| file.source.line_col(s.offset)).collect();
        let statements = trace
            .statements
            .iter()
            .enumerate()
            .map(|(i, statement)| TracedStatement {
                line: places[i].line,
                col: places[i].col,
                locks: statement.locks.clone(),
                rewritten: statement.rewritten.clone(),
                took_ms: statement.took.as_millis(),
                locks_observed: statement.observed,
                hazards: hazards
                    .iter()
                    .filter(|h| h.path == file.path())
                    .filter(|h| h.location.is_some_and(|l| l >= places[i] && places.get(i + 1).is_none_or(|next| l < *next)))
                    .map(|h| HazardVerdict { code: h.code.clone(), server: crate::replay::judge(&h.code, statement) })
                    .collect(),
            })
            .collect();
        let without_sample_rows = trace
            .without_sample_rows
            .as_ref()
            .map(|f| format!("{}:{}:{}: {} (SQLSTATE {})", f.path, f.location.line, f.location.col, f.message, f.sqlstate));
        files.push(TracedFile { file: trace.file.clone(), without_sample_rows, statements });
    }
    if format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "files": files }))?);
        return Ok(EXIT_OK);
    }
    for file in &files {
        outln!("{}", file.file);
        if let Some(failure) = &file.without_sample_rows {
            outln!("  note: with squashmate's sample rows in the tables this file fails ({failure}); traced and applied without them");
        }
        for s in &file.statements {
            outln!("  {}:{}  {} ms  {}; {}", s.line, s.col, s.took_ms, s.locks_text(), s.rewrite_text());
            for h in &s.hazards {
                let (verdict, detail) = h.server.parts();
                outln!("      hazard {}: {verdict} ({detail})", h.code);
            }
        }
    }
    outln!("Traced {} migration(s) with sample rows in every table on PostgreSQL {}", traces.len(), server.version());
    Ok(EXIT_OK)
}
