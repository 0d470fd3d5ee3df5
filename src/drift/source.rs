//! The two sides of a `diff`: a postgres URL (read as it is), a migrations directory (replayed
//! on an ephemeral server), or a schema `.sql` file (loaded on an ephemeral server). The
//! server is started once, only if a side needs it.

use std::path::{Path, PathBuf};

use thiserror::Error;
use tokio::sync::OnceCell;
use tokio_postgres::Client;

use crate::catalog::{Catalog, IntrospectOptions, introspect};
use crate::dump::{guard_newer_settings, strip_psql_meta_commands};
use crate::ledger::LedgerTable;
use crate::ledger::{ConnectError, DatabaseUrl, UrlError, connect};
use crate::lint::check_runnable;
use crate::migration::{Discovery, MigrationFile, Way, discover};
use crate::replay::{ReplayError, prepared_database, replay_after};
use crate::report::Diagnostic;
use crate::server::{EphemeralServer, ServerError, ServerOptions};

/// Why a side could not be read.
#[derive(Debug, Error)]
pub enum SourceError {
    /// Neither a URL, a directory nor a `.sql` file.
    #[error("`{0}` is not a postgres:// URL, a migrations directory or a schema .sql file")]
    Unknown(String),
    /// A URL that does not parse.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// Connecting failed.
    #[error("{0}")]
    Connect(#[from] ConnectError),
    /// Connecting to a side's database failed.
    #[error("cannot connect to {url}: {source}; check the URL and that the server is up")]
    ConnectTo {
        /// The URL, password hidden.
        url: String,
        /// Why.
        source: ConnectError,
    },
    /// The ephemeral server failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Replaying the migrations failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The migrations have errors in what a replay runs.
    #[error("{path}: {source}")]
    Invalid {
        /// The directory.
        path: String,
        /// The errors.
        source: crate::lint::NotRunnable,
    },
    /// Reading a file or directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// What.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A migrations directory could not be read.
    #[error(transparent)]
    Discover(#[from] crate::migration::DiscoverError),
    /// Loading a schema file failed.
    #[error("{}: {message}", path.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// PostgreSQL's message.
        message: String,
    },
    /// Reading the catalog failed.
    #[error("reading the schema: {0}")]
    Introspect(#[from] tokio_postgres::Error),
}

/// One side of a comparison.
#[derive(Debug, Clone)]
pub enum Side {
    /// A live database.
    Url(DatabaseUrl),
    /// Migrations to replay.
    Migrations(PathBuf),
    /// A schema file to load.
    SchemaFile(PathBuf),
}

impl Side {
    /// Reads a command-line argument.
    pub fn parse(arg: &str) -> Result<Self, SourceError> {
        if arg.starts_with("postgres://") || arg.starts_with("postgresql://") {
            return Ok(Side::Url(DatabaseUrl::parse(arg)?));
        }
        let path = Path::new(arg);
        if path.is_dir() {
            Ok(Side::Migrations(path.to_path_buf()))
        } else if path.is_file() && arg.ends_with(".sql") {
            Ok(Side::SchemaFile(path.to_path_buf()))
        } else {
            Err(SourceError::Unknown(crate::report::redact_text(arg)))
        }
    }
}

/// Reads sides into catalogs, starting one ephemeral server on first need.
pub struct Reader {
    server_options: ServerOptions,
    server: OnceCell<EphemeralServer>,
    /// What the catalogs include.
    pub introspect: IntrospectOptions,
    warnings: std::sync::Mutex<Vec<Diagnostic>>,
}

impl Reader {
    /// A reader that starts servers as `server_options` say.
    pub fn new(server_options: ServerOptions, introspect: IntrospectOptions) -> Self {
        Reader { server_options, server: OnceCell::new(), introspect, warnings: std::sync::Mutex::default() }
    }

    /// Problems in replayed migrations that did not stop the replay (warnings, down blocks),
    /// taken once, for the caller to print.
    pub fn take_warnings(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.warnings.lock().expect("no thread panics holding the warnings"))
    }

    /// The ephemeral server's version, if one was started.
    pub fn server_version(&self) -> Option<&str> {
        self.server.get().map(EphemeralServer::version)
    }

    /// The ephemeral server (started now if not yet).
    pub async fn server(&self) -> Result<&EphemeralServer, SourceError> {
        Ok(self.server.get_or_try_init(|| EphemeralServer::start(&self.server_options)).await?)
    }

    /// The catalog of `side`.
    pub async fn read(&self, side: &Side) -> Result<Catalog, SourceError> {
        Ok(self.read_into_database(side).await?.0)
    }

    /// The catalog of `side`, and the ephemeral server's database holding it (None for a
    /// live database, which is only read).
    pub async fn read_into_database(&self, side: &Side) -> Result<(Catalog, Option<String>), SourceError> {
        match side {
            Side::Url(url) => {
                let client = connect(url).await.map_err(|source| SourceError::ConnectTo { url: url.redacted(), source })?;
                Ok((introspect(&client, &self.introspect).await?, None))
            }
            Side::Migrations(dir) => {
                let found = discover(std::slice::from_ref(dir))?;
                let (catalog, db) = self.replayed_into(&dir.display().to_string(), found.files, &found.rejected).await?;
                Ok((catalog, Some(db)))
            }
            Side::SchemaFile(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SourceError::Io { path: path.clone(), source })?;
                let (db, client) = self.load_schema(&text, path, &self.server_options.setup).await?;
                Ok((introspect(&client, &self.introspect).await?, Some(db)))
            }
        }
    }

    /// A copy of a live database's schema on the ephemeral server (`pg_dump --schema-only`
    /// of it, with a pg_dump able to dump its major, loaded there): a place to prove changes
    /// before they touch it. Returns the copy's database name.
    pub async fn schema_copy(&self, url: &DatabaseUrl) -> Result<String, SourceError> {
        let live = connect(url).await?;
        let number: String = live.query_one("SHOW server_version_num", &[]).await?.get(0);
        let major = number.parse::<u32>().unwrap_or(0) / 10000;
        let program = crate::server::pg_dump_for(None, major).map(|(program, _)| program).ok_or_else(|| SourceError::Load {
            path: PathBuf::from(url.redacted()),
            message: format!("no pg_dump of PostgreSQL {major} or newer here; `squashmate pg install {major}` or install its client"),
        })?;
        let args = ["--schema-only", "--no-owner", "--no-privileges"].map(String::from);
        let dump = crate::dump::pg_dump_of(&program, url, &args)
            .await
            .map_err(|e| SourceError::Load { path: PathBuf::from(url.redacted()), message: e.to_string() })?;
        // The live database's dump holds what its setup made: only the roles are made first.
        let roles_only = crate::setup::Setup { roles: self.server_options.setup.roles.clone(), ..Default::default() };
        Ok(self.load_schema(&dump, Path::new(&url.redacted()), &roles_only).await?.0)
    }

    /// A new database on the ephemeral server with the schema `text` (psql meta-commands
    /// dropped, settings newer than the server guarded), prepared by `setup` (the roles it
    /// names made first); `source` names it in errors.
    async fn load_schema(&self, text: &str, source: &Path, setup: &crate::setup::Setup) -> Result<(String, Client), SourceError> {
        let text = strip_psql_meta_commands(text);
        let server = self.server().await?;
        let uses = [crate::migration::RoleUse::of(&text)];
        // Roles are the server's: two sides loaded at once would both make a role they name.
        let touches_roles = !setup.roles_needed(&uses).is_empty() || !setup.roles_created_by(&uses).is_empty();
        let _roles = if touches_roles { Some(server.exclusive_role_changes().await) } else { None };
        let (db, client, _) = prepared_database(server, setup, &uses).await?;
        let text = guard_newer_settings(&text);
        // A role this text makes may be there already, made by the other side's load: the
        // server is shared, the role is not this schema's to fail on.
        let text = if setup.roles_created_by(&uses).is_empty() { text } else { crate::setup::roles_once(&text) };
        // One implicit transaction, but for a statement that refuses one (`CREATE INDEX CONCURRENTLY`).
        for run in crate::migration::transaction_runs(&text) {
            client
                .batch_execute(run)
                .await
                .map_err(|e| SourceError::Load { path: source.to_path_buf(), message: crate::report::with_causes(&e) })?;
        }
        Ok((db, client))
    }

    /// Replays `files` (checked first) and reads the result.
    pub async fn replayed(&self, label: &str, files: Vec<MigrationFile>, rejected: &[Diagnostic]) -> Result<Catalog, SourceError> {
        Ok(self.replayed_into(label, files, rejected).await?.0)
    }

    async fn replayed_into(
        &self,
        label: &str,
        files: Vec<MigrationFile>,
        rejected: &[Diagnostic],
    ) -> Result<(Catalog, String), SourceError> {
        let found = Discovery { files, rejected: rejected.to_vec() };
        let warnings = check_runnable(&found, Way::Up).map_err(|source| SourceError::Invalid { path: label.to_string(), source })?;
        self.warnings.lock().expect("no thread panics holding the warnings").extend(warnings);
        let server = self.server().await?;
        let report =
            replay_after(server, &self.server_options.setup, &found.files, &LedgerTable::default(), &crate::progress::Silent, |_, _| {})
                .await?;
        let client = server.connect(&report.database).await?;
        Ok((introspect(&client, &self.introspect).await?, report.database))
    }
}
