//! `squashmate check`: the pending migrations' checks (derived from their statements and
//! declared in `-- squashmate:check` comments) asked of the live database in one read-only
//! transaction, applying nothing — "would the pending migrations apply?" before the deploy.
//! Exit 0 every check passed, 1 one found rows (or a declared one did not run).

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use tokio_postgres::Client;

use super::database::{Target, describe, describe_postgres};
use super::fleet::{print_results, read_targets};
use super::progress::Stderr;
use super::{Cli, EXIT_FINDINGS, EXIT_OK};
use crate::checks::{CheckOutcome, Defined, Verdict, checks_after, run_checks};
use crate::fleet::{Done, for_each};
use crate::ledger::{DatabaseUrl, LedgerTable};
use crate::migration::{MigrationFile, discover};
use crate::progress::{Progress, Tally};
use crate::report::Format;

/// One pending file's checks and what they found.
#[derive(Debug, serde::Serialize)]
struct FileChecks {
    file: String,
    checks: Vec<Located>,
}

#[derive(Debug, serde::Serialize)]
struct Located {
    line: usize,
    col: usize,
    #[serde(flatten)]
    outcome: CheckOutcome,
}

/// Runs the checks on the database, or on each of `--targets`.
pub async fn run(cli: &Cli, format: Format) -> anyhow::Result<u8> {
    let found = discover(&cli.migrations_dir)?;
    if let Some(first) = found.rejected.first() {
        return Err(anyhow!("{}: {}; run `squashmate lint`", first.place(), first.message));
    }
    let files = Arc::new(found.files);
    let table = Arc::new(cli.migrations_table.clone());
    if cli.targets.is_none() {
        let url = Target::from_cli(cli)?.url;
        let results = on_database(&files, &table, &url).await?;
        out!("{}", render(&results, format)?);
        return Ok(if stops(&results) { EXIT_FINDINGS } else { EXIT_OK });
    }
    let targets = read_targets(cli)?;
    let results = {
        let progress = Stderr::for_format(format);
        progress.begin("check", targets.len());
        for_each(&targets, cli.parallel, &Tally::new(&progress), |t| {
            let (files, table) = (files.clone(), table.clone());
            async move {
                let results = on_database(&files, &table, &t.url).await.map_err(|e| crate::report::redact_text(&format!("{e:#}")))?;
                let summary = summary(&results);
                if stops(&results) { Err(summary) } else { Ok(Done { position: None, summary }) }
            }
        })
        .await
    };
    print_results(&results, format)
}

fn stops(results: &[FileChecks]) -> bool {
    results.iter().flat_map(|f| &f.checks).any(|c| c.outcome.stops())
}

/// The pending files' checks on the database at `url`, in one read-only transaction.
async fn on_database(files: &[MigrationFile], table: &str, url: &DatabaseUrl) -> anyhow::Result<Vec<FileChecks>> {
    let client = Target { url: url.clone() }.connect().await.map_err(|e| anyhow!(describe(&e)))?;
    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let result = pending_checks(&client, files, table, url).await;
    let _ = client.batch_execute("ROLLBACK").await;
    result
}

async fn pending_checks(client: &Client, files: &[MigrationFile], table: &str, url: &DatabaseUrl) -> anyhow::Result<Vec<FileChecks>> {
    let ledger = LedgerTable::resolve(client, table, &url.search_path()).await?;
    let exists: bool = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&ledger.qualified()]).await?.get(0);
    let applied: BTreeSet<String> = if exists {
        let rows = client.query(&ledger.select_sql(), &[]).await.map_err(|e| anyhow!(describe_postgres(&e)))?;
        rows.iter().map(|r| r.get(0)).collect()
    } else {
        BTreeSet::new()
    };
    let mut out = Vec::new();
    // A validation in a later pending file is checked by the definition an earlier one gives.
    let mut defined = Defined::default();
    for file in files.iter().filter(|f| !applied.contains(&f.version)) {
        let found = checks_after(file, &mut defined);
        let (now, later): (Vec<_>, Vec<_>) = found.into_iter().partition(|c| c.before_the_file);
        let mut outcomes = run_checks(client, &now).await.with_context(|| format!("checking {}", file.path().display()))?;
        outcomes.extend(later.into_iter().map(|check| CheckOutcome {
            check,
            verdict: Verdict::Skipped {
                why: "an earlier statement of its file changes rows first, so only running the file can tell (up checks it then)".into(),
            },
        }));
        outcomes.sort_by_key(|o| o.check.offset);
        let checks = outcomes
            .into_iter()
            .map(|outcome| {
                let at = file.source.line_col(outcome.check.offset);
                Located { line: at.line, col: at.col, outcome }
            })
            .collect();
        out.push(FileChecks { file: file.path().display().to_string(), checks });
    }
    Ok(out)
}

/// `N check(s) in M pending file(s): …`.
fn summary(results: &[FileChecks]) -> String {
    let all: Vec<&Located> = results.iter().flat_map(|f| &f.checks).collect();
    let count = |f: fn(&Verdict) -> bool| all.iter().filter(|c| f(&c.outcome.verdict)).count();
    format!(
        "{} check(s) in {} pending file(s): {} passed, {} failed, {} skipped",
        all.len(),
        results.len(),
        count(|v| matches!(v, Verdict::Passed)),
        count(|v| matches!(v, Verdict::Failed { .. } | Verdict::Broken { .. })),
        count(|v| matches!(v, Verdict::Skipped { .. }))
    )
}

fn render(results: &[FileChecks], format: Format) -> anyhow::Result<String> {
    let summary = summary(results);
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(&serde_json::json!({ "summary": summary, "files": results }))? + "\n",
        Format::Markdown => {
            use crate::report::markdown::{cell, code, table};
            let rows: Vec<Vec<String>> = results
                .iter()
                .flat_map(|f| f.checks.iter().map(move |c| (f, c)))
                .filter(|(_, c)| c.outcome.verdict != Verdict::Passed)
                .map(|(f, c)| {
                    vec![
                        code(&c.outcome.check.name),
                        code(&format!("{}:{}:{}", f.file, c.line, c.col)),
                        cell(&c.outcome.finding().replace("\n  = next: ", " — next: ")),
                    ]
                })
                .collect();
            let mark = if stops(results) { "❌" } else { "✅" };
            format!(
                "{mark} **{summary}**\n\n{}",
                if rows.is_empty() { String::new() } else { table("checks", &["Check", "Where", "Found"], &rows) }
            )
        }
        Format::Text | Format::Github => {
            let mut out = String::new();
            for f in results {
                for c in f.checks.iter().filter(|c| c.outcome.verdict != Verdict::Passed) {
                    out.push_str(&c.outcome.describe(&format!("{}:{}:{}", f.file, c.line, c.col)));
                    out.push('\n');
                }
            }
            out.push_str(&summary);
            out.push('\n');
            out
        }
    })
}
