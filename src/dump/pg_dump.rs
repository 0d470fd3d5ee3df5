//! Runs `pg_dump` as dbmate does (`--format=plain --encoding=UTF8 --schema-only
//! --no-privileges --no-owner`, `--restrict-key=dbmate` where supported), so that
//! `squashmate dump` and `dbmate dump` write the same file.

use std::path::Path;
use std::process::Command;

use thiserror::Error;
use tokio_postgres::Client;

use super::dbmate_format::{ledger_block, strip_psql_meta_commands, trim_leading_sql_comments};
use crate::ledger::{DatabaseUrl, LedgerTable};

/// Why a dump failed.
#[derive(Debug, Error)]
pub enum DumpError {
    /// `pg_dump` could not be run.
    #[error("cannot run {program}: {source}; install the PostgreSQL client (Debian: `apt-get install postgresql-client`)")]
    Missing {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// `pg_dump` failed.
    #[error("pg_dump failed: {0}")]
    Failed(String),
    /// Reading the ledger failed.
    #[error("reading the ledger for the dump: {0}")]
    Postgres(#[from] tokio_postgres::Error),
}

/// A `pg_dump --version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgDumpVersion {
    /// Major, e.g. 15.
    pub major: u32,
    /// Minor, e.g. 14.
    pub minor: u32,
}

impl std::fmt::Display for PgDumpVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl PgDumpVersion {
    /// Whether `--restrict-key` exists (the CVE-2025-8714 releases and later).
    pub fn supports_restrict_key(self) -> bool {
        match self.major {
            0..=12 => false,
            13 => self.minor >= 22,
            14 => self.minor >= 19,
            15 => self.minor >= 14,
            16 => self.minor >= 10,
            17 => self.minor >= 6,
            _ => true,
        }
    }
}

/// Asks `program` for its version.
pub fn pg_dump_version(program: &Path) -> Result<PgDumpVersion, DumpError> {
    let out = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|source| DumpError::Missing { program: program.display().to_string(), source })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let number = text.split_whitespace().find(|w| w.starts_with(|c: char| c.is_ascii_digit())).unwrap_or("0");
    let mut parts = number.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse().unwrap_or(0));
    Ok(PgDumpVersion { major: parts.next().unwrap_or(0), minor: parts.next().unwrap_or(0) })
}

/// Runs `program` (a pg_dump) with `args` on the database at `url`, as dbmate connects
/// (`--schema` per `search_path` entry), the password through the environment rather than the
/// process list; what it printed.
pub async fn pg_dump_of(program: &Path, url: &DatabaseUrl, args: &[String]) -> Result<String, DumpError> {
    let mut cmd = Command::new(program);
    if let Some(password) = url.client_config().get_password() {
        cmd.env("PGPASSWORD", String::from_utf8_lossy(password).into_owned());
    }
    cmd.args(args).args(url.without_password().pg_dump_args());
    let program_name = program.display().to_string();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| DumpError::Failed(e.to_string()))?
        .map_err(|source| DumpError::Missing { program: program_name, source })?;
    if !out.status.success() {
        return Err(DumpError::Failed(crate::report::redact_text(String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The schema file dbmate writes for the database at `url`, using `program` as `pg_dump`.
/// `extra` arguments go before the connection arguments, as with `dbmate dump -- …`.
pub async fn dbmate_schema_dump(
    program: &Path,
    url: &DatabaseUrl,
    client: &Client,
    ledger: &LedgerTable,
    extra: &[String],
) -> Result<String, DumpError> {
    let version = pg_dump_version(program)?;
    let mut args: Vec<String> =
        ["--format=plain", "--encoding=UTF8", "--schema-only", "--no-privileges", "--no-owner"].map(String::from).to_vec();
    if version.supports_restrict_key() {
        args.push("--restrict-key=dbmate".into());
    }
    args.extend_from_slice(extra);
    let mut schema = pg_dump_of(program, url, &args).await?;
    if !version.supports_restrict_key() {
        // A random key would make every dump differ.
        schema = strip_psql_meta_commands(&schema);
    }
    let versions: Vec<String> = client
        .query(&format!("select quote_literal(version) from {} order by version asc", ledger.qualified()), &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    schema.push_str(&ledger_block(&ledger.qualified(), &versions));
    Ok(trim_leading_sql_comments(&schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restrict_key_releases() {
        let v = |major, minor| PgDumpVersion { major, minor };
        assert!(v(15, 14).supports_restrict_key());
        assert!(!v(15, 13).supports_restrict_key());
        assert!(!v(16, 9).supports_restrict_key());
        assert!(v(17, 6).supports_restrict_key());
        assert!(v(18, 0).supports_restrict_key());
        assert!(!v(12, 30).supports_restrict_key());
    }
}
