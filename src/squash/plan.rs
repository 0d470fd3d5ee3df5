//! The squash plan, `db/squash.toml`: what the baseline replaces, what is retired, which
//! comments to add — declarative and validated before anything runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::setup::{DeclaredRole, Setup, SetupError};
use crate::sql::parse_qualified;

/// A plan that cannot be used.
#[derive(Debug, Error)]
pub enum PlanError {
    /// The file could not be read.
    #[error("{}: {source}; create one with `squashmate squash --init`", path.display())]
    Read {
        /// The plan file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML that does not fit the plan's shape.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The plan file.
        path: PathBuf,
        /// toml's message (with line and column).
        message: String,
    },
    /// A name that is not `schema.table[.column]`.
    #[error("{}: {what} `{name}`: {message}", path.display())]
    Name {
        /// The plan file.
        path: PathBuf,
        /// Which list.
        what: &'static str,
        /// As written.
        name: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    baseline_version: Option<String>,
    migrations_dir: Option<Vec<PathBuf>>,
    backup: Option<BackupStyle>,
    src: Option<Vec<PathBuf>>,
    #[serde(default)]
    extensions: Vec<String>,
    #[serde(default)]
    roles: Vec<DeclaredRole>,
    #[serde(default)]
    setup: Vec<PathBuf>,
    lock_timeout: Option<String>,
    lock_retries: Option<u32>,
    statement_timeout: Option<String>,
    workload: Option<PathBuf>,
    #[serde(default)]
    retire: RawRetire,
    #[serde(default)]
    comments: RawComments,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRetire {
    #[serde(default)]
    tables: Vec<String>,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    views: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawComments {
    #[serde(default)]
    tables: BTreeMap<String, String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
}

/// Where retired tables go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackupStyle {
    /// Into a backup schema named after the date.
    #[default]
    Schema,
    /// Renamed in place with a date suffix.
    Suffix,
}

/// `schema.table`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableName {
    /// Schema.
    pub schema: String,
    /// Table.
    pub name: String,
}

impl TableName {
    /// Quoted for SQL.
    pub fn sql(&self) -> String {
        format!("{}.{}", crate::sql::quote_ident(&self.schema), crate::sql::quote_ident(&self.name))
    }

    /// Quoted only where needed, as the server's `quote_ident` quotes: for people to read (and
    /// still valid SQL).
    pub fn readable(&self) -> String {
        format!("{}.{}", crate::sql::quote_ident_if_needed(&self.schema), crate::sql::quote_ident_if_needed(&self.name))
    }
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.sql())
    }
}

/// `schema.table.column`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnName {
    /// The table.
    pub table: TableName,
    /// The column.
    pub column: String,
}

/// How the surgery and the rollback take their locks on a live database: each attempt waits
/// at most `lock_timeout`, so application queries queue behind the script for no longer than
/// that, and the script retries with a growing pause until `lock_retries` run out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// The longest one attempt waits for its locks (default 2 s).
    pub lock_timeout: std::time::Duration,
    /// Attempts after the first (default 10: the budget outlasts a blocker of half a minute).
    pub lock_retries: u32,
    /// Guard for each statement, the data copies included (default 15 min).
    pub statement_timeout: std::time::Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            lock_timeout: std::time::Duration::from_secs(2),
            lock_retries: 10,
            statement_timeout: std::time::Duration::from_secs(15 * 60),
        }
    }
}

/// A validated plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The baseline's version.
    pub baseline_version: String,
    /// The migrations directories.
    pub migrations_dir: Vec<PathBuf>,
    /// Backup style.
    pub backup: BackupStyle,
    /// Source trees the audit reads.
    pub src: Vec<PathBuf>,
    /// Extensions the chain assumes exist (created before the replay).
    pub extensions: Vec<String>,
    /// Roles production has (created on the ephemeral server, with their attributes, when the
    /// chain needs them and does not create them itself).
    pub roles: Vec<DeclaredRole>,
    /// Setup SQL files every throwaway database runs before the chain (never in the baseline).
    pub setup: Vec<PathBuf>,
    /// Tables to retire.
    pub retire_tables: Vec<TableName>,
    /// Columns to retire.
    pub retire_columns: Vec<ColumnName>,
    /// Views to retire (those depending on retired objects must be listed).
    pub retire_views: Vec<TableName>,
    /// Table comments to set.
    pub table_comments: Vec<(TableName, String)>,
    /// Column comments to set.
    pub column_comments: Vec<(ColumnName, String)>,
    /// How the scripts take their locks.
    pub locks: LockPolicy,
    /// SQL the behavioural proof runs on both sides besides its own workload (the `workload`
    /// key; `None`: `squash/workload.sql` beside the plan, when there is one).
    pub workload: Option<PathBuf>,
}

/// The commented starter `squash --init` writes.
pub const STARTER: &str = r#"# squashmate squash plan. Paths are relative to the directory squashmate runs in.
# Names are written as in SQL: schema.table[.column], double-quoted where SQL needs quotes.

baseline_version = "00000000000000"   # the baseline migration's version
migrations_dir = ["db/migrations"]    # as dbmate's --migrations-dir
backup = "schema"                     # "schema": retired tables move to a backup schema named
                                      # after the date; "suffix": renamed in place with a date suffix
# src = ["src"]                       # source trees `squashmate audit` searches for retired names
extensions = []                       # extensions production has that no migration creates, e.g. ["postgis"]
roles = []                            # roles production has that the migrations GRANT to, e.g.
                                      # ["reader", { name = "app", login = true, bypassrls = false }]
setup = []                            # SQL files run in every throwaway database before the chain
                                      # (platform schemas and roles, e.g. ["db/setup/auth.sql"]); never in the baseline
lock_timeout = "2s"                   # the surgery and rollback wait at most this long for their locks
lock_retries = 10                     # ... then retry this many times, pausing longer each time
statement_timeout = "15min"           # guard for each statement of the scripts (data copies included)
# workload = "db/squash/workload.sql" # the application's statements, run on old chain + surgery and on
                                      # a fresh baseline: they must behave the same (the default file is used when present)

[retire]
tables = []    # e.g. ["public.mcp_proxy_sessions"]: moved to the backup, never dropped
columns = []   # e.g. ["public.agents.skill_auto_granted_domains"]: values saved with the row key
views = []     # views over retired tables or columns must be listed here too

[comments.tables]
# "public.events" = "Append-only log of everything that happened."

[comments.columns]
# "public.events.kind" = "What happened."
"#;

impl Plan {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Self, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read { path: path.to_path_buf(), source })?;
        Self::parse(path, &text)
    }

    /// What every throwaway database gets before the chain: the plan's roles and extensions,
    /// and its setup files (read now).
    pub fn setup(&self) -> Result<Setup, SetupError> {
        Ok(Setup { roles: self.roles.clone(), extensions: self.extensions.clone(), files: Setup::read_files(&self.setup)? })
    }

    /// Validates plan text read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PlanError> {
        let raw: RawPlan = toml::from_str(text).map_err(|e| PlanError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
        let table = |what: &'static str, name: &str| -> Result<TableName, PlanError> {
            match parse_qualified(name) {
                Ok(parts) if parts.len() == 2 => Ok(TableName { schema: parts[0].clone(), name: parts[1].clone() }),
                Ok(_) => {
                    Err(PlanError::Name { path: path.to_path_buf(), what, name: name.into(), message: "expected schema.table".into() })
                }
                Err(message) => Err(PlanError::Name { path: path.to_path_buf(), what, name: name.into(), message }),
            }
        };
        let column = |what: &'static str, name: &str| -> Result<ColumnName, PlanError> {
            match parse_qualified(name) {
                Ok(parts) if parts.len() == 3 => {
                    Ok(ColumnName { table: TableName { schema: parts[0].clone(), name: parts[1].clone() }, column: parts[2].clone() })
                }
                Ok(_) => Err(PlanError::Name {
                    path: path.to_path_buf(),
                    what,
                    name: name.into(),
                    message: "expected schema.table.column".into(),
                }),
                Err(message) => Err(PlanError::Name { path: path.to_path_buf(), what, name: name.into(), message }),
            }
        };
        let version = raw.baseline_version.unwrap_or_else(|| "00000000000000".into());
        if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit()) {
            return Err(PlanError::Name {
                path: path.to_path_buf(),
                what: "baseline_version",
                name: version,
                message: "must be digits".into(),
            });
        }
        let duration = |what: &'static str, value: Option<String>, default: std::time::Duration| match value {
            None => Ok(default),
            Some(text) => match humantime::parse_duration(&text) {
                Ok(d) if d.as_millis() > 0 => Ok(d),
                Ok(_) => Err(PlanError::Name { path: path.to_path_buf(), what, name: text, message: "must be longer than 0".into() }),
                Err(e) => Err(PlanError::Name {
                    path: path.to_path_buf(),
                    what,
                    name: text,
                    message: format!("{e}; write e.g. \"2s\" or \"500ms\""),
                }),
            },
        };
        let defaults = LockPolicy::default();
        let locks = LockPolicy {
            lock_timeout: duration("lock_timeout", raw.lock_timeout, defaults.lock_timeout)?,
            lock_retries: raw.lock_retries.unwrap_or(defaults.lock_retries),
            statement_timeout: duration("statement_timeout", raw.statement_timeout, defaults.statement_timeout)?,
        };
        Ok(Plan {
            locks,
            workload: raw.workload,
            baseline_version: version,
            migrations_dir: raw.migrations_dir.unwrap_or_else(|| vec![PathBuf::from("db/migrations")]),
            backup: raw.backup.unwrap_or_default(),
            src: raw.src.unwrap_or_default(),
            extensions: raw.extensions,
            roles: raw.roles,
            setup: raw.setup,
            retire_tables: raw.retire.tables.iter().map(|n| table("retire.tables", n)).collect::<Result<_, _>>()?,
            retire_columns: raw.retire.columns.iter().map(|n| column("retire.columns", n)).collect::<Result<_, _>>()?,
            retire_views: raw.retire.views.iter().map(|n| table("retire.views", n)).collect::<Result<_, _>>()?,
            table_comments: raw
                .comments
                .tables
                .iter()
                .map(|(n, c)| Ok((table("comments.tables", n)?, c.clone())))
                .collect::<Result<_, PlanError>>()?,
            column_comments: raw
                .comments
                .columns
                .iter()
                .map(|(n, c)| Ok((column("comments.columns", n)?, c.clone())))
                .collect::<Result<_, PlanError>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_parses_and_names_are_read_as_sql() {
        let plan = Plan::parse(Path::new("squash.toml"), STARTER).unwrap();
        assert_eq!(plan.baseline_version, "00000000000000");
        assert_eq!(plan.backup, BackupStyle::Schema);
        let plan = Plan::parse(
            Path::new("squash.toml"),
            "[retire]\ncolumns = ['public.\"Audit Log\".\"Weird \"\"Col\"\"\"']\n[comments.tables]\n\"Public.Events\" = \"x\"\n",
        )
        .unwrap();
        assert_eq!(plan.retire_columns[0].table.name, "Audit Log");
        assert_eq!(plan.retire_columns[0].column, "Weird \"Col\"");
        assert_eq!(plan.table_comments[0].0.name, "events");
        let plan = Plan::parse(
            Path::new("squash.toml"),
            "extensions = [\"pgcrypto\"]\nroles = [\"app reader\", { name = \"app\", login = true }]\nsetup = [\"db/auth.sql\"]\n",
        )
        .unwrap();
        assert_eq!(plan.extensions, ["pgcrypto"]);
        assert_eq!(plan.roles[0], DeclaredRole::Name("app reader".into()));
        assert!(plan.roles[1].attributes().login);
        assert_eq!(plan.setup, [PathBuf::from("db/auth.sql")]);
        let err = plan.setup().unwrap_err().to_string();
        assert!(err.contains("setup file db/auth.sql"), "{err}");
        let err = Plan::parse(Path::new("squash.toml"), "[retire]\ntables = ['users']\n").unwrap_err().to_string();
        assert!(err.contains("retire.tables `users`: expected schema.table"), "{err}");
        let plan = Plan::parse(Path::new("squash.toml"), "lock_timeout = \"500ms\"\nlock_retries = 3\n").unwrap();
        assert_eq!(plan.locks.lock_timeout, std::time::Duration::from_millis(500));
        assert_eq!(plan.locks.lock_retries, 3);
        let err = Plan::parse(Path::new("squash.toml"), "lock_timeout = \"soon\"\n").unwrap_err().to_string();
        assert!(err.contains("lock_timeout `soon`"), "{err}");
        let err = Plan::parse(Path::new("squash.toml"), "retire = 3\n").unwrap_err().to_string();
        assert!(err.contains("squash.toml"), "{err}");
    }
}
