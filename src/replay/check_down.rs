//! `replay --check-down`: every file's down block, proven on the ephemeral server — apply the
//! up, run the down, compare the schema with the one before the up, apply the up again. A down
//! that cannot run or does not restore the schema is a finding naming its file.

use super::ReplayError;
use crate::catalog::{Class, IntrospectOptions, diff, introspect};
use crate::ledger::{LedgerTable, Way, run_file};
use crate::migration::MigrationFile;
use crate::server::{EphemeralServer, ServerError};
use crate::setup::Setup;

/// A down block that does not undo its up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DownFinding {
    /// The file.
    pub file: String,
    /// `down-fails` or `down-incomplete`.
    pub code: &'static str,
    /// What went wrong (the error, or the differences left).
    pub message: String,
}

/// Checks the down block of every one of `files`, in order, on a fresh database of `server`.
/// Stops early only when an up block itself fails (the chain cannot go on). After a down that
/// left something behind, the chain is replayed afresh up to that file before going on.
pub async fn check_down(server: &EphemeralServer, setup: &Setup, files: &[MigrationFile]) -> Result<Vec<DownFinding>, ReplayError> {
    let ledger = LedgerTable::default();
    let (_, mut client, _) = super::prepared_database(server, setup, &super::role_uses(files)).await?;
    client.batch_execute(&ledger.create_sql()).await.map_err(ServerError::from)?;
    let options = IntrospectOptions { ledger_table: ledger.table.clone(), ..IntrospectOptions::default() };
    let mut findings = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let finding = |code, message: String| DownFinding { file: file.path().display().to_string(), code, message };
        let before = introspect(&client, &options).await.map_err(ServerError::from)?;
        if let Err(e) = run_file(&client, file, &ledger, Way::Up, false).await {
            findings.push(finding("down-fails", format!("the up block itself fails, so the check stops here: {e}")));
            break;
        }
        if let Err(e) = run_file(&client, file, &ledger, Way::Down, false).await {
            // A refused or rolled-back down leaves the database as the up made it.
            findings.push(finding("down-fails", format!("the down block cannot run: {e}")));
            continue;
        }
        let after = introspect(&client, &options).await.map_err(ServerError::from)?;
        let left: Vec<String> = diff(&before, &after)
            .into_iter()
            .filter(|d| d.class != Class::Cosmetic)
            .map(|d| format!("{}: before the up {}, after the down {}", d.path, d.left, d.right))
            .collect();
        if left.is_empty() {
            if let Err(e) = run_file(&client, file, &ledger, Way::Up, false).await {
                findings
                    .push(finding("down-fails", format!("the up block does not apply again after the down, so the check stops here: {e}")));
                break;
            }
        } else {
            findings.push(finding("down-incomplete", format!("the down block does not restore the schema:\n  {}", left.join("\n  "))));
            let rebuilt = super::replay_after(server, setup, &files[..=index], &ledger, |_, _| {}).await?;
            client = server.connect(&rebuilt.database).await?;
        }
    }
    Ok(findings)
}
