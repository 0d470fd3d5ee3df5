//! `pg_dump` as the squash runs it: with privileges and owners, rows as INSERTs, the backups
//! left out where asked — for the baseline and for the proof's second judge.

use thiserror::Error;

use super::plan::BackupStyle;
use super::scripts::ScriptInput;
use crate::dump::{PgDumpVersion, copy_rows_as_inserts};
use crate::server::{EphemeralServer, ServerError};

/// Why pg_dump gave no dump.
#[derive(Debug, Error)]
pub enum DumpError {
    /// The server could not name its pg_dump.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// pg_dump could not be started.
    #[error("cannot run pg_dump")]
    NotRun(#[source] std::io::Error),
    /// pg_dump failed (what it said).
    #[error("pg_dump: {0}")]
    Failed(String),
}

/// What a dump holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dumped {
    /// The baseline: schema and rows.
    SchemaAndRows,
    /// The proof's second judge: the schema.
    SchemaOnly,
}

/// The `pg_dump` arguments that leave the backups out.
pub fn backups_excluded(input: &ScriptInput<'_>) -> Vec<String> {
    match input.backup {
        BackupStyle::Schema => vec![format!("--exclude-schema={}", input.backup_schema())],
        BackupStyle::Suffix => input.backups().iter().map(|t| format!("--exclude-table={}", t.sql())).collect(),
    }
}

/// `pg_dump` of `db` with privileges and owners. Rows are read with `COPY` (a cursor would
/// be planned, and the planner inlines index expressions under pg_dump's empty search_path)
/// and written as INSERTs: a dbmate migration cannot run `COPY … FROM stdin`.
pub async fn pg_dump(server: &EphemeralServer, db: &str, excluded: &[String], what: Dumped) -> Result<(String, PgDumpVersion), DumpError> {
    let (mut cmd, version) = server.pg_dump(db)?;
    cmd.args(excluded);
    if what == Dumped::SchemaOnly {
        cmd.arg("--schema-only");
    }
    if version.supports_restrict_key() {
        cmd.arg("--restrict-key=squashmate");
    }
    let out = cmd.output().await.map_err(DumpError::NotRun)?;
    if !out.status.success() {
        return Err(DumpError::Failed(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    Ok((copy_rows_as_inserts(&String::from_utf8_lossy(&out.stdout)), version))
}
