//! `status`: dbmate's `[X]`/`[ ]` lines and counts, then — squashmate's addition — ledger rows
//! that have no file, and the baseline that covers them.

use anyhow::anyhow;

use super::database::{Target, describe};
use super::{Cli, EXIT_FINDINGS, EXIT_OK};
use crate::ledger::{Migrator, Status};

/// Prints the status; with `exit_code`, exits 1 when migrations are pending.
pub async fn run(cli: &Cli, exit_code: bool, quiet: bool) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    let migrator = Migrator::from_dirs(&cli.migrations_dir)?.with_options(target.migrator_options(cli));
    let client = target.connect().await.map_err(|e| anyhow!(describe(&e)))?;
    let status = migrator.status(&client).await?;
    if !quiet {
        out!("{}", render(&status));
    }
    let pending = status.pending().count();
    Ok(if exit_code && pending > 0 { EXIT_FINDINGS } else { EXIT_OK })
}

/// The text `status` prints.
pub fn render(status: &Status) -> String {
    let mut out = String::new();
    for file in &status.files {
        out.push_str(&format!("[{}] {}\n", if file.applied { "X" } else { " " }, file.filename));
    }
    out.push_str(&format!("\nApplied: {}\nPending: {}\n", status.applied_count(), status.pending().count()));
    if !status.orphans.is_empty() {
        out.push_str(&format!("\nApplied without a migration file: {}\n", status.orphans.len()));
        for orphan in &status.orphans {
            match &orphan.covered_by {
                Some(baseline) => out.push_str(&format!("[X] {} (replaced by baseline {baseline})\n", orphan.version)),
                None => out.push_str(&format!("[?] {} (no file: restore it, or check how it got into the ledger)\n", orphan.version)),
            }
        }
    }
    out
}
