//! Replays a migration chain on a fresh database of an ephemeral server, exactly as `up`
//! would apply it, timing each file. Later steps (squash, diff, drift) build on the result.

mod check_down;
mod trace;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::ledger::{ApplyError, LedgerTable, apply_file};
use crate::migration::{MigrationFile, RoleUse};
use crate::progress::{Progress, Silent};
use crate::server::{EphemeralServer, ServerError};
use crate::setup::Setup;

pub use check_down::{DownOutcome, DownResult, IRREVERSIBLE_MARK, check_down};
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
    /// Roles made before the chain: those it needs and does not create, those the setup creates.
    pub made_for_chain: BTreeSet<String>,
    /// Roles the chain's files create themselves (by name, also inside `DO` blocks).
    pub created_by_chain: BTreeSet<String>,
}

/// What each of `files` does with roles, read once.
pub fn role_uses(files: &[MigrationFile]) -> Vec<RoleUse> {
    files.iter().map(|f| RoleUse::of(f.source.text())).collect()
}

/// Why a replay stopped.
#[derive(Debug, Error)]
pub enum ReplayError {
    /// The server failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The setup failed.
    #[error(transparent)]
    Setup(#[from] SetupFailed),
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
    replay_after(server, &Setup::default(), files, &LedgerTable::default(), &Silent, on_applied).await
}

/// Why the setup could not run in a new database (the setup's fault, or a missing role or
/// extension: never the migrations').
#[derive(Debug, Error)]
#[error(
    "the setup ({what}) fails: {message}; fix the setup, or declare what it needs with `extensions = [...]` / `roles = [...]` in db/squash.toml"
)]
pub struct SetupFailed {
    /// What ran: the extensions, the setup files.
    pub what: String,
    /// PostgreSQL's message.
    pub message: String,
}

/// A new database on `server` prepared by `setup` for SQL whose role use is `uses` (the chain's
/// files, a schema): the roles they need and do not create made first (server-wide, noted so a
/// `--pg url` server drops them again, with those the SQL and the setup create), then the
/// extensions and the setup files. Returns the database, a client, and the roles made for it
/// (those made here and those the setup creates).
pub async fn prepared_database(
    server: &EphemeralServer,
    setup: &Setup,
    uses: &[RoleUse],
) -> Result<(String, tokio_postgres::Client, BTreeSet<String>), ReplayError> {
    let database = server.create_database(None).await?;
    let client = server.connect(&database).await?;
    let needed = setup.roles_needed(uses);
    let made_for_it: BTreeSet<String> = needed.iter().map(|r| r.name.clone()).chain(setup.roles_it_creates()).collect();
    server.note_roles(made_for_it.iter().cloned().chain(setup.roles_created_by(uses)));
    let roles: String = needed.iter().map(|r| r.create_if_missing_sql()).collect();
    let sql = format!("{roles}{}", setup.database_sql());
    if !sql.is_empty() {
        client.batch_execute(&sql).await.map_err(|e| {
            let what = match (setup.extensions.is_empty(), setup.files.is_empty()) {
                (_, false) => format!("{}{}", if setup.extensions.is_empty() { "" } else { "extensions, " }, setup.describe()),
                (false, true) => format!("extensions {}", setup.extensions.join(", ")),
                (true, true) => "the roles the SQL names".to_string(),
            };
            ReplayError::Setup(SetupFailed { what, message: crate::report::with_causes(&e) })
        })?;
    }
    Ok((database, client, made_for_it))
}

/// Like [`replay`], with `ledger` as the ledger table, in a database prepared by `setup`
/// (the roles, extensions and setup SQL the migrations assume); `progress` hears of each file
/// as it begins.
pub async fn replay_after(
    server: &EphemeralServer,
    setup: &Setup,
    files: &[MigrationFile],
    ledger: &LedgerTable,
    progress: &dyn Progress,
    mut on_applied: impl FnMut(&MigrationFile, Duration),
) -> Result<ReplayReport, ReplayError> {
    let started = Instant::now();
    let uses = role_uses(files);
    let created_by_chain = setup.roles_created_by(&uses);
    let _roles = if created_by_chain.is_empty() { None } else { Some(server.exclusive_role_changes().await) };
    let (database, client, made_for_chain) = prepared_database(server, setup, &uses).await?;
    client.batch_execute(&ledger.create_sql()).await.map_err(ServerError::from)?;
    let mut applied = Vec::with_capacity(files.len());
    progress.begin("replay", files.len());
    for (index, file) in files.iter().enumerate() {
        progress.step(index + 1, &file.filename);
        match apply_file(&client, file, ledger).await {
            Ok(took) => {
                on_applied(file, took);
                applied.push((file.filename.clone(), took));
            }
            Err(source) => {
                progress.end();
                let applied = applied.into_iter().map(|(name, _)| name).collect();
                return Err(ReplayError::Migration { source, applied });
            }
        }
    }
    progress.end();
    Ok(ReplayReport { database, applied, total: started.elapsed(), made_for_chain, created_by_chain })
}
