//! `backups list | restore NAME | drop --older-than D`: on the database, or on every database
//! of `--targets` (one line each in the results table); exit 0 done, 1 refused or findings.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use clap::Subcommand;

use super::database::{Target, describe};
use super::fleet::{print_results, read_targets};
use super::progress::Stderr;
use super::server_args::ServerArgs;
use super::{Cli, EXIT_FINDINGS, EXIT_OK, value};
use crate::backups::{
    DropSelection, RestoreError, SquashBackups, drop_selected, find_kept, read_backups, render_list, restore, select_older_than,
    summary_line, unrecorded_backups,
};
use crate::catalog::IntrospectOptions;
use crate::drift::Reader;
use crate::fleet::{Done, for_each};
use crate::ledger::{DatabaseUrl, LedgerTable};
use crate::progress::{Progress, Tally};
use crate::report::Format;

/// `backups`' actions.
#[derive(Debug, Clone, Subcommand)]
pub enum BackupsAction {
    /// What every squash's surgery kept (retired tables moved aside, retired columns' values
    /// saved with their keys): from which squash, when, rows and size, and whether the ledger
    /// still allows that squash's rollback.
    List {
        /// Text, or JSON (with --targets: the results table as JSON).
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
    },
    /// Put one retired table or column back where it was (a column's values by row key),
    /// proven first on a throwaway copy of the database's schema, then in one transaction
    /// under the surgery's lock_timeout and retries.
    Restore {
        /// The table (`schema.table`) or column (`schema.table.column`), as before the surgery,
        /// or its backup's name; the last parts are enough when only one backup fits.
        name: String,
        /// Which throwaway server to prove the restore on.
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Drop the backups (and the record) of squashes whose surgery ran at least --older-than
    /// ago. A dry run unless --apply; refuses while the ledger still allows a squash's rollback
    /// (it needs them) unless --force; writes a pg_dump of what it drops first.
    Drop {
        /// How old a squash's surgery must be, e.g. `90d`, `12weeks`, `0s`.
        #[arg(long)]
        older_than: humantime::Duration,
        /// Really drop (after the dump); without it, only say what would go.
        #[arg(long)]
        apply: bool,
        /// Drop backups a possible rollback still needs (the rollback then refuses: its backups are gone).
        #[arg(long)]
        force: bool,
        /// Where the pg_dump of the dropped backups is written (one file per database).
        #[arg(long, default_value = "squashmate-dropped-backups")]
        dump_dir: PathBuf,
    },
}

/// What one database's job found: the full text (one database) and the fleet table's line.
struct Outcome {
    text: String,
    summary: String,
    /// Refused or found something (exit 1; a failed fleet row).
    findings: bool,
}

/// What every database's job shares.
struct Job {
    action: BackupsAction,
    ledger: String,
    json: bool,
    /// The throwaway server a restore is proven on (started on first need, shared by targets).
    reader: Option<Reader>,
}

/// Runs the action on the database, or on each of `--targets`.
pub async fn run(cli: &Cli, action: &BackupsAction) -> anyhow::Result<u8> {
    let reader = match action {
        BackupsAction::Restore { server, .. } => Some(Reader::new(server.options()?, IntrospectOptions::default())),
        _ => None,
    };
    let format = match action {
        BackupsAction::List { format } => *format,
        _ => Format::Text,
    };
    let job = Arc::new(Job { action: action.clone(), ledger: cli.migrations_table.clone(), json: format == Format::Json, reader });
    if cli.targets.is_none() {
        let target = Target::from_cli(cli)?;
        let outcome = on_database(job, target.url).await.map_err(|e| anyhow!(e))?;
        outln!("{}", outcome.text.trim_end());
        return Ok(if outcome.findings { EXIT_FINDINGS } else { EXIT_OK });
    }
    let targets = read_targets(cli)?;
    let results = {
        let progress = Stderr::for_format(format);
        progress.begin("backups", targets.len());
        for_each(&targets, cli.parallel, &Tally::new(&progress), |t| {
            let job = job.clone();
            async move {
                let outcome = on_database(job, t.url).await?;
                if outcome.findings { Err(outcome.summary) } else { Ok(Done { position: None, summary: outcome.summary }) }
            }
        })
        .await
    };
    print_results(&results, format)
}

/// The action on the database at `url`.
async fn on_database(job: Arc<Job>, url: DatabaseUrl) -> Result<Outcome, String> {
    let client = Target { url: url.clone() }.connect().await.map_err(|e| describe(&e))?;
    let ledger = LedgerTable::resolve(&client, &job.ledger, &url.search_path()).await.map_err(|e| e.to_string())?;
    let squashes =
        read_backups(&client, &ledger).await.map_err(|e| format!("reading the squash backups: {}", crate::report::with_causes(&e)))?;
    let outcome = match &job.action {
        BackupsAction::List { .. } => {
            let unrecorded = unrecorded_backups(&client, &squashes).await.map_err(|e| crate::report::with_causes(&e))?;
            let text = if job.json {
                let listing = serde_json::json!({ "squashes": squashes, "unrecorded": unrecorded });
                serde_json::to_string_pretty(&listing).map_err(|e| e.to_string())?
            } else {
                render_list(&squashes, &unrecorded)
            };
            Outcome { text, summary: summary_line(&squashes), findings: false }
        }
        BackupsAction::Restore { name, .. } => {
            let reader = job.reader.as_ref().expect("a restore has a reader");
            restore_one(&client, &url, reader, &squashes, name).await?
        }
        BackupsAction::Drop { older_than, apply, force, dump_dir } => {
            let chosen = select_older_than(&squashes, (*older_than).into(), *force);
            drop_chosen(&client, &url, &ledger, &chosen, (*older_than).into(), *apply, *force, dump_dir).await?
        }
    };
    Ok(outcome)
}

async fn restore_one(
    client: &tokio_postgres::Client,
    url: &DatabaseUrl,
    reader: &Reader,
    squashes: &[SquashBackups],
    name: &str,
) -> Result<Outcome, String> {
    let (squash, kept) = find_kept(squashes, name).map_err(|e| e.to_string())?;
    match restore(client, url, reader, squash, kept).await {
        Ok(done) => {
            let mut text =
                format!("Restored {} ({} row(s) or value(s) back), proven first on a copy of the schema.\n", done.original, done.rows);
            if done.ended_rollback {
                text.push_str(&format!(
                    "The rollback of the squash onto baseline {} is no longer possible: one of its backups is back in place.\n",
                    squash.baseline_version
                ));
            }
            text.push_str(&format!(
                "{} is not in the migrations: keep it with a migration (`squashmate plan --to $DATABASE_URL --write keep_it`), or `drift` reports it.\n",
                done.original
            ));
            Ok(Outcome { text, summary: format!("restored {} ({} row(s))", done.original, done.rows), findings: false })
        }
        Err(e @ RestoreError::AlreadyRestored { .. }) => {
            Ok(Outcome { text: format!("{e}; nothing to do.\n"), summary: format!("already done ({e})"), findings: false })
        }
        Err(e) => Err(crate::report::redact_text(&e.to_string())),
    }
}

#[allow(clippy::too_many_arguments)]
async fn drop_chosen(
    client: &tokio_postgres::Client,
    url: &DatabaseUrl,
    ledger: &LedgerTable,
    chosen: &DropSelection<'_>,
    older_than: Duration,
    apply: bool,
    force: bool,
    dump_dir: &std::path::Path,
) -> Result<Outcome, String> {
    let age = humantime::format_duration(older_than);
    let mut text = String::new();
    if chosen.dropping.is_empty() && chosen.refused.is_empty() {
        text.push_str(&format!("No squash's surgery ran {age} ago or earlier: nothing to drop.\n"));
        return Ok(Outcome { text, summary: "nothing old enough".into(), findings: false });
    }
    for squash in &chosen.refused {
        text.push_str(&format!(
            "Refused: the backups of the squash onto baseline {} (surgery at {}): the ledger still allows its rollback, which needs them. Drop them once the baseline is settled, or with --force (the rollback then refuses).\n",
            squash.baseline_version, squash.made_at
        ));
    }
    let listed: Vec<String> =
        chosen.dropping.iter().flat_map(|s| s.still_kept().map(|k| k.backup.clone()).chain([s.record.readable()])).collect();
    let refused = !chosen.refused.is_empty();
    if !apply || refused {
        if refused && apply {
            text.push_str("Nothing was dropped.\n");
        }
        if !listed.is_empty() {
            let verb = if refused {
                "Without the refused ones, these would go"
            } else {
                "Would drop (a dry run; --apply drops them, a pg_dump first)"
            };
            text.push_str(&format!("{verb}: {}\n", listed.join(", ")));
        }
        let summary = if refused {
            format!("refused: {} squash(es) whose rollback still needs its backups", chosen.refused.len())
        } else {
            format!("would drop {} table(s) (dry run)", listed.len())
        };
        return Ok(Outcome { text, summary, findings: refused });
    }
    let dropped = drop_selected(client, url, ledger, &chosen.dropping, force, dump_dir)
        .await
        .map_err(|e| crate::report::redact_text(&e.to_string()))?;
    text.push_str(&format!(
        "Dropped {} backup table(s) ({} row(s)) and their record(s): {}.\nThe pg_dump written first: {} (`psql -f` puts them back).\n",
        dropped.tables,
        dropped.rows,
        listed.join(", "),
        dropped.dump.display()
    ));
    Ok(Outcome { text, summary: format!("dropped {} table(s), dump {}", dropped.tables, dropped.dump.display()), findings: false })
}
