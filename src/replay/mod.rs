//! Replays a migration chain on a fresh database of an ephemeral server, exactly as `up`
//! would apply it, timing each file. Later steps (squash, diff, drift) build on the result.

mod check_down;
mod trace;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::ledger::{ApplyError, LedgerTable, apply_file};
use crate::migration::{MigrationFile, create_roles_sql, referenced_roles};
use crate::server::{EphemeralServer, ServerError};

pub use check_down::{DownFinding, check_down};
pub use trace::{FileTrace, StatementTrace, Verdict, judge, strength, trace};

/// What a replay did.
#[derive(Debug, Clone)]
pub struct ReplayReport {
    /// The database the chain was applied to.
    pub database: String,
    /// Each applied file and how long it took, in order.
    pub applied: Vec<(String, Duration)>,
    /// Wall time of the whole replay (database creation included).
    pub total: Duration,
}

/// Why a replay stopped.
#[derive(Debug, Error)]
pub enum ReplayError {
    /// The server failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// A migration failed; `applied` lists the files before it that were applied.
    #[error("{source}")]
    Migration {
        /// The failure, located in its file.
        source: ApplyError,
        /// Files applied before the failure.
        applied: Vec<String>,
    },
}

/// Creates a database on `server` and applies `files` in order, with dbmate's ledger.
///
/// `on_applied` is called after each file (for progress output).
pub async fn replay(
    server: &EphemeralServer,
    files: &[MigrationFile],
    on_applied: impl FnMut(&MigrationFile, Duration),
) -> Result<ReplayReport, ReplayError> {
    replay_after(server, "", files, &LedgerTable::default(), on_applied).await
}

/// Like [`replay`], with `ledger` as the ledger table, running `setup` SQL (e.g. `CREATE
/// EXTENSION` the migrations assume) in the new database first.
pub async fn replay_after(
    server: &EphemeralServer,
    setup: &str,
    files: &[MigrationFile],
    ledger: &LedgerTable,
    mut on_applied: impl FnMut(&MigrationFile, Duration),
) -> Result<ReplayReport, ReplayError> {
    let started = Instant::now();
    let database = server.create_database(None).await?;
    let client = server.connect(&database).await?;
    // Roles the files grant to or give ownership to exist in production, not here.
    let roles: BTreeSet<String> = files.iter().flat_map(|f| referenced_roles(f.source.text())).collect();
    if !roles.is_empty() {
        client.batch_execute(&create_roles_sql(&roles)).await.map_err(ServerError::from)?;
    }
    if !setup.is_empty() {
        client.batch_execute(setup).await.map_err(ServerError::from)?;
    }
    client.batch_execute(&ledger.create_sql()).await.map_err(ServerError::from)?;
    let mut applied = Vec::with_capacity(files.len());
    for file in files {
        match apply_file(&client, file, ledger).await {
            Ok(took) => {
                on_applied(file, took);
                applied.push((file.filename.clone(), took));
            }
            Err(source) => {
                let applied = applied.into_iter().map(|(name, _)| name).collect();
                return Err(ReplayError::Migration { source, applied });
            }
        }
    }
    Ok(ReplayReport { database, applied, total: started.elapsed() })
}
