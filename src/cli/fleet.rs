//! `--targets FILE`: `status`, `up`, `migrate` and `drift` over many databases at once, each
//! under the same lock and atomicity rules as alone, ending with one results table (or JSON);
//! and the ledger check before `squash` over a fleet.

use std::sync::Arc;

use anyhow::Context;

use std::path::Path;

use super::database::{Target, describe, describe_postgres};
use super::progress::Stderr;
use super::{Cli, Command, EXIT_FINDINGS, EXIT_OK, admin, error_text};
use crate::catalog::{Class, IntrospectOptions};
use crate::drift::{Reader, drift};
use crate::fleet::{
    Done, FleetTarget, TargetLedger, TargetResult, check_fleet, for_each, map_bounded, parse_targets, render_markdown, render_table,
};
use crate::ledger::{LedgerTable, Migrator, Status};
use crate::migration::{Depth, discover_to, version_of};
use crate::progress::{Progress, Tally};
use crate::report::Format;
use crate::squash::{ALREADY_DONE_SQLSTATE, Plan, SquashOptions};

/// The targets `--targets` names (and `--shard` selects).
pub(super) fn read_targets(cli: &Cli) -> anyhow::Result<Vec<FleetTarget>> {
    let path = cli.targets.as_ref().expect("called only with --targets");
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the targets file {}", path.display()))?;
    let targets = parse_targets(&path.display().to_string(), &text, |var| std::env::var(var).ok())?;
    Ok(match cli.shard {
        Some(shard) => shard.take(targets),
        None => targets,
    })
}

/// `squash --targets`: every target's ledger is read before anything else; the squash is
/// refused when a target could not take the surgery, naming it and its position.
pub async fn check_squash(cli: &Cli, options: &SquashOptions) -> anyhow::Result<()> {
    let targets = read_targets(cli)?;
    let plan = Plan::load(&options.plan)?;
    let chain: Vec<String> = discover_to(&plan.migrations_dir, Depth::Markers)?.files.into_iter().map(|f| f.version).collect();
    let squashed: Vec<String> = chain.iter().filter(|v| options.through.as_ref().is_none_or(|t| *v <= t)).cloned().collect();
    let table = Arc::new(cli.migrations_table.clone());
    let ledgers = map_bounded(
        &targets,
        cli.parallel,
        |target| {
            let table = table.clone();
            async move { TargetLedger { target: target.url.redacted(), ledger: applied_versions(&target, &table).await } }
        },
        |_| {},
    )
    .await;
    let verdict = check_fleet(&chain, &squashed, &ledgers);
    for unknown in &verdict.unknown {
        eprintln!("warning: {unknown}");
    }
    if let Some(common) = &verdict.common {
        eprintln!("Every target has applied the chain up to {common}: `squash --through {common}` fits them all.");
    }
    if !verdict.refusals.is_empty() {
        anyhow::bail!("the fleet cannot take this squash (nothing was written):\n  - {}", verdict.refusals.join("\n  - "));
    }
    eprintln!("All {} target(s) can take the surgery.", ledgers.len());
    Ok(())
}

/// The versions `target`'s ledger holds (the table named as dbmate's `--migrations-table`).
async fn applied_versions(target: &FleetTarget, table: &str) -> Result<std::collections::BTreeSet<String>, String> {
    let client = Target { url: target.url.clone() }.connect().await.map_err(|e| describe(&e))?;
    let ledger = LedgerTable::resolve(&client, table, &target.url.search_path()).await.map_err(|e| e.to_string())?;
    let rows = client.query(&ledger.select_sql(), &[]).await.map_err(|e| crate::report::redact_text(&describe_postgres(&e)))?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}

/// Runs the command on every target and prints the table; exit 0 when every target is ok.
pub async fn run(cli: &Cli, format: Format) -> anyhow::Result<u8> {
    let targets = read_targets(cli)?;
    let progress = Stderr::for_format(format);
    let work = match &cli.command {
        Command::Status { .. } => "status",
        Command::Up { .. } => "up",
        Command::Migrate { .. } => "migrate",
        _ => "drift",
    };
    progress.begin(work, targets.len());
    let tally = Tally::new(&progress);
    let results = match &cli.command {
        Command::Status { .. } => {
            let migrator = Arc::new(Migrator::from_dirs(&cli.migrations_dir)?);
            for_each(&targets, cli.parallel, &tally, |t| status_of(migrator.clone(), cli, t)).await
        }
        Command::Up { .. } | Command::Migrate { .. } => {
            let migrator = Arc::new(Migrator::from_dirs(&cli.migrations_dir)?);
            let create_first = matches!(cli.command, Command::Up { .. });
            let job = |t: FleetTarget| up_on(migrator.clone(), cli, t, create_first);
            match cli.canary.filter(|n| *n < targets.len()) {
                Some(n) => {
                    let mut results = for_each(&targets[..n], cli.parallel, &tally, job).await;
                    if results.iter().all(|r| r.ok) {
                        results.extend(for_each(&targets[n..], cli.parallel, &tally, job).await);
                    } else {
                        results.extend(targets[n..].iter().map(|t| TargetResult::skipped(t, "a canary target failed")));
                    }
                    results
                }
                None => for_each(&targets, cli.parallel, &tally, job).await,
            }
        }
        Command::Drift { compare, server } => {
            let ignore = if compare.ignore.is_empty() { vec![Class::Cosmetic] } else { compare.ignore.clone() };
            let introspect = IntrospectOptions {
                ledger_table: cli.migrations_table.rsplit('.').next().unwrap_or(&cli.migrations_table).to_string(),
                privileges: compare.privileges,
            };
            // One ephemeral server replays the chain for every target.
            let reader = Arc::new(Reader::new(server.options()?, introspect));
            let ignore = Arc::new(ignore);
            for_each(&targets, cli.parallel, &tally, |t| drift_of(reader.clone(), ignore.clone(), cli, t)).await
        }
        _ => unreachable!("dispatched only for status, up, migrate and drift"),
    };
    drop(progress);
    print_results(&results, format)
}

/// Prints the results table (or JSON); exit 0 when every target is ok, 1 otherwise.
pub(super) fn print_results(results: &[TargetResult], format: Format) -> anyhow::Result<u8> {
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&results_json(results))?),
        Format::Text | Format::Github => out!("{}", render_table(results)),
        Format::Markdown => out!("{}", render_markdown(results)),
    }
    Ok(if results.iter().all(|r| r.ok) { EXIT_OK } else { EXIT_FINDINGS })
}

fn results_json(results: &[TargetResult]) -> serde_json::Value {
    let failed = results.iter().filter(|r| !r.ok).count();
    serde_json::json!({ "targets": results, "ok": results.len() - failed, "failed": failed })
}

/// `run-script`: the script on each target in its own session. The results are also written
/// beside the script (`<name>.targets.json`), a record of which databases are done.
pub async fn run_script(cli: &Cli, script: &Path, format: Format) -> anyhow::Result<u8> {
    let sql = Arc::new(std::fs::read_to_string(script).with_context(|| format!("reading {}", script.display()))?);
    let targets = match cli.targets {
        Some(_) => read_targets(cli)?,
        None => vec![FleetTarget { url: Target::from_cli(cli)?.url, line: 0 }],
    };
    let table = Arc::new(cli.migrations_table.clone());
    let results = {
        let progress = Stderr::for_format(format);
        progress.begin("run-script", targets.len());
        for_each(&targets, cli.parallel, &Tally::new(&progress), |t| script_on(sql.clone(), table.clone(), t)).await
    };
    let record = script.with_extension("targets.json");
    std::fs::write(&record, serde_json::to_string_pretty(&results_json(&results))? + "\n")
        .with_context(|| format!("writing {}", record.display()))?;
    eprintln!("Writing: {}", record.display());
    print_results(&results, format)
}

async fn script_on(sql: Arc<String>, table: Arc<String>, target: FleetTarget) -> Result<Done, String> {
    let client = Target { url: target.url.clone() }.connect().await.map_err(|e| describe(&e))?;
    let summary = match client.batch_execute(&sql).await {
        Ok(()) => "done".to_string(),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            match e.as_db_error() {
                Some(db) if db.code().code() == ALREADY_DONE_SQLSTATE => format!("already done ({})", db.message()),
                _ => return Err(crate::report::redact_text(&describe_postgres(&e))),
            }
        }
    };
    let newest = applied_versions(&target, &table).await?.pop_last();
    Ok(Done { position: newest, summary })
}

/// `fleet-report`: the `--format json` results of several runs (shards) as one table.
pub fn report(files: &[std::path::PathBuf], format: Format) -> anyhow::Result<u8> {
    let mut results = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not the JSON of a fleet run (`--format json`)", file.display()))?;
        let targets = doc
            .get("targets")
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{}: no `targets` list; is it the JSON of a fleet run?", file.display()))?;
        let parsed: Vec<TargetResult> =
            serde_json::from_value(targets).with_context(|| format!("{}: a target result that does not read", file.display()))?;
        results.extend(parsed);
    }
    print_results(&results, format)
}

/// The newest version the ledger holds (a file's or a row's without a file).
fn position(status: &Status) -> Option<String> {
    let files = status.files.iter().filter(|f| f.applied).filter_map(|f| version_of(&f.filename));
    files.chain(status.orphans.iter().map(|o| o.version.as_str())).max().map(String::from)
}

fn status_of(migrator: Arc<Migrator>, cli: &Cli, target: FleetTarget) -> impl Future<Output = Result<Done, String>> + Send + 'static {
    let options = Target { url: target.url.clone() }.migrator_options(cli);
    async move {
        let target = Target { url: target.url };
        let client = target.connect().await.map_err(|e| describe(&e))?;
        let migrator = (*migrator).clone().with_options(options);
        let status = migrator.status(&client).await.map_err(|e| crate::report::redact_text(&e.to_string()))?;
        let pending = status.pending().count();
        let summary = if pending == 0 { "up to date".to_string() } else { format!("{pending} pending") };
        Ok(Done { position: position(&status), summary })
    }
}

fn up_on(
    migrator: Arc<Migrator>,
    cli: &Cli,
    target: FleetTarget,
    create_first: bool,
) -> impl Future<Output = Result<Done, String>> + Send + 'static {
    let options = Target { url: target.url.clone() }.migrator_options(cli);
    async move {
        let target = Target { url: target.url };
        let (client, lock_client) = match target.connect_pair().await {
            Err(e) if create_first && e.sqlstate() == Some("3D000") => {
                if let Err(e) = admin::create_database_quietly(&target).await {
                    if !target.exists().await.map_err(|e| error_text(&e))? {
                        return Err(error_text(&e));
                    }
                }
                target.connect_pair().await.map_err(|e| describe(&e))?
            }
            other => other.map_err(|e| describe(&e))?,
        };
        let migrator = (*migrator).clone().with_options(options);
        let applied = migrator.up(&client, &lock_client, &mut |_| {}).await.map_err(|e| match &e {
            crate::ledger::MigrateError::Migration { done, .. } => {
                crate::report::redact_text(&format!("{e} (after applying {} file(s))", done.len()))
            }
            _ => crate::report::redact_text(&e.to_string()),
        })?;
        let status = migrator.status(&client).await.map_err(|e| e.to_string())?;
        let summary = if applied.is_empty() { "up to date".to_string() } else { format!("applied {}", applied.len()) };
        Ok(Done { position: position(&status), summary })
    }
}

fn drift_of(
    reader: Arc<Reader>,
    ignore: Arc<Vec<Class>>,
    cli: &Cli,
    target: FleetTarget,
) -> impl Future<Output = Result<Done, String>> + Send + 'static {
    let (dirs, table) = (cli.migrations_dir.clone(), cli.migrations_table.clone());
    async move {
        let left_out = super::drift::recorded_backups(&target.url, &table).await.map_err(|e| error_text(&e))?;
        let report = drift(&target.url, &dirs, &table, &reader, &left_out).await.map_err(|e| crate::report::redact_text(&e.to_string()))?;
        if report.has_findings(&ignore) {
            let differences = report.differences.iter().filter(|d| !ignore.contains(&d.class)).count();
            return Err(format!("drift: {differences} difference(s), {} ledger problem(s)", report.ledger.len()));
        }
        Ok(Done { position: None, summary: format!("no drift at the {} version(s) its ledger holds", report.replayed) })
    }
}
