//! `squashmate drift`: the database at `DATABASE_URL` against its own migrations, replayed at
//! exactly the versions its ledger holds.

use anyhow::Context;

use super::database::{Target, describe};
use super::differences::render;
use super::{Cli, EXIT_FINDINGS, EXIT_OK};
use crate::backups::{left_out, read_backups};
use crate::catalog::{Class, IntrospectOptions, LeftOut};
use crate::drift::{Reader, drift, explain};
use crate::ledger::{DatabaseUrl, LedgerTable, connect};
use crate::report::Format;
use crate::server::ServerOptions;

/// Runs the drift check and prints what differs, each with its fix.
pub async fn run(cli: &Cli, ignore: &[Class], format: Format, privileges: bool, server: &ServerOptions) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    let introspect = IntrospectOptions { ledger_table: ledger_name(&cli.migrations_table), privileges };
    let reader = Reader::new(server.clone(), introspect);
    let left_out = recorded_backups(&target.url, &cli.migrations_table).await?;
    let report = drift(&target.url, &cli.migrations_dir, &cli.migrations_table, &reader, &left_out).await?;
    reader.take_warnings().iter().for_each(|w| eprintln!("{}", crate::report::warning_line(w)));
    let problems: Vec<String> = report.ledger.iter().map(|p| format!("ledger {}: {}", p.version, p.message)).collect();
    let left_out = match report.left_out {
        0 => String::new(),
        n => format!("Left out: {n} object(s) a squash's surgery kept (`squashmate backups list`)"),
    };
    let explained: Vec<String> = report.differences.iter().filter(|d| !ignore.contains(&d.class)).map(explain).collect();
    match format {
        Format::Text => {
            outln!("Compared {} with its migrations at the {} version(s) its ledger holds", target.url.database(), report.replayed);
            if !left_out.is_empty() {
                outln!("{left_out}");
            }
            explained.iter().for_each(|line| outln!("  - {line}"));
            outln!();
            out!("{}", render(&report.differences, ignore, &problems, format));
        }
        Format::Markdown => {
            use crate::report::markdown::{cell, code, details};
            outln!(
                "#### drift of {} against its migrations at the {} version(s) its ledger holds
",
                code(&target.url.database()),
                report.replayed
            );
            if !left_out.is_empty() {
                outln!(
                    "{}
",
                    cell(&left_out)
                );
            }
            out!("{}", render(&report.differences, ignore, &problems, format));
            if !explained.is_empty() {
                let list: String = explained.iter().map(|line| format!("- {}\n", cell(line))).collect();
                out!("\n{}", details("What each difference is, and its fix", &list));
            }
        }
        _ => out!("{}", render(&report.differences, ignore, &problems, format)),
    }
    Ok(if report.has_findings(ignore) { EXIT_FINDINGS } else { EXIT_OK })
}

/// The backups (and their records) squashes' surgeries left in the database at `url`: no
/// migration makes them, so drift leaves them out.
pub(super) async fn recorded_backups(url: &DatabaseUrl, ledger_table: &str) -> anyhow::Result<LeftOut> {
    let client = connect(url).await.map_err(|e| anyhow::anyhow!(describe(&e)))?;
    let ledger = LedgerTable::resolve(&client, ledger_table, &url.search_path()).await?;
    let squashes = read_backups(&client, &ledger).await.context("reading the squash backups' records")?;
    Ok(left_out(&squashes))
}

/// The table part of `schema.table`.
fn ledger_name(table: &str) -> String {
    table.rsplit('.').next().unwrap_or(table).to_string()
}
