//! The applier, read like the protocol: lock → ensure ledger → list applied → apply each
//! pending file as one unit with its ledger row → unlock. The same code serves the CLI and a
//! service applying its migrations at boot.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio_postgres::Client;

use super::apply_error::ApplyError;
use super::file_unit::{FileOptions, FileRun, locate_failure, run_file, send_uncommitted};
use super::lock::{LockError, acquire, lock_key, release};
use super::status::Status;
use super::table::LedgerTable;
use crate::lint::{NotRunnable, check_runnable, duplicate_versions};
use crate::migration::{Block, Depth, DiscoverError, Discovery, MigrationFile, Way, discover_to};
use crate::report::{Diagnostic, stopping};

/// Something worth telling the user while migrating.
#[derive(Debug)]
pub enum Event<'a> {
    /// The ledger's schema did not exist and is being created.
    CreatingSchema(&'a str),
    /// Another process holds the migration lock; we wait for it.
    WaitingForLock(&'a str),
    /// A file is about to be applied.
    Applying(&'a MigrationFile),
    /// A file was applied.
    Applied(&'a MigrationFile, &'a FileRun),
    /// A file is about to be rolled back.
    RollingBack(&'a MigrationFile),
    /// A file was rolled back.
    RolledBack(&'a MigrationFile, &'a FileRun),
    /// A problem that does not stop this run (a warning, or an error in a part not run).
    Warning(&'a Diagnostic),
}

/// Why migrating failed.
#[derive(Debug, Error)]
pub enum MigrateError {
    /// The migrations directory could not be read.
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// Files about to run have errors in the parts that would run; nothing was run.
    #[error(transparent)]
    Invalid(#[from] NotRunnable),
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A ledger query failed.
    #[error("{0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// A migration failed; `done` lists the files completed before it.
    #[error("{source}")]
    Migration {
        /// The failure.
        source: ApplyError,
        /// Files applied (or rolled back) before the failure.
        done: Vec<String>,
    },
    /// `--strict` and a pending migration is older than an applied one.
    #[error(
        "migration `{version}` is out of order with already applied migrations, the version number has to be higher than the applied migration `{highest}` in --strict mode"
    )]
    OutOfOrder {
        /// The pending version.
        version: String,
        /// The highest applied version.
        highest: String,
    },
    /// Rollback found nothing applied.
    #[error("can't rollback: no migrations have been applied")]
    NothingToRollBack,
    /// Rollback reached a ledger row without a file.
    #[error("can't rollback version {version}: {why}")]
    NoFileFor {
        /// The version.
        version: String,
        /// Why there is no file.
        why: String,
    },
    /// The database could not be reached.
    #[error("connecting to {url}: {source}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// Why.
        source: super::connect::ConnectError,
    },
    /// `--to` names a version that is neither a file nor in the ledger.
    #[error("unknown version {0} for --to; give a version from `squashmate status`")]
    UnknownVersion(String),
}

/// How far to roll back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackTarget {
    /// The last N applied migrations.
    Steps(usize),
    /// Every applied migration newer than this version.
    ToVersion(String),
}

/// Settings of a [`Migrator`].
#[derive(Debug, Clone)]
pub struct MigratorOptions {
    /// The ledger table, `table` or `schema.table` (default `schema_migrations`).
    pub table: String,
    /// The URL's `search_path` (its first entry is the ledger's schema when none is given).
    pub search_path: Vec<String>,
    /// Refuse a pending migration older than the newest applied one.
    pub strict: bool,
    /// How long to wait for another process's lock.
    pub lock_timeout: Duration,
    /// Collect rows affected per statement (`--verbose`).
    pub count_rows: bool,
    /// Stop a file whose `DROP TABLE` / `DROP COLUMN` would lose rows (default: run it, as
    /// dbmate does).
    pub stop_on_data_loss: bool,
}

impl Default for MigratorOptions {
    fn default() -> Self {
        MigratorOptions {
            table: "schema_migrations".into(),
            search_path: Vec::new(),
            strict: false,
            lock_timeout: Duration::from_secs(300),
            count_rows: false,
            stop_on_data_loss: false,
        }
    }
}

/// Applies, rolls back and reports dbmate migrations — the same engine as `squashmate up`,
/// with the same lock, one-file-one-unit atomicity and located errors.
///
/// A service applying its migrations at boot, from a directory:
/// ```no_run
/// # async fn boot() -> Result<(), squashmate::ledger::MigrateError> {
/// let migrator = squashmate::ledger::Migrator::from_dirs(&["db/migrations".into()])?;
/// let applied = migrator.up_url("postgres://app@db/app?sslmode=require", &mut |_| {}).await?;
/// # Ok(()) }
/// ```
/// or embedded into the binary at compile time (add the `include_dir` crate):
/// ```no_run
/// static MIGRATIONS: include_dir::Dir<'_> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/db/migrations");
/// # async fn boot(client: &tokio_postgres::Client) -> Result<(), squashmate::ledger::MigrateError> {
/// let migrator = squashmate::ledger::Migrator::from_embedded(&MIGRATIONS)?;
/// migrator.up(client, client, &mut |_| {}).await?; // one client: the lock is taken on it too
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Migrator {
    files: Vec<MigrationFile>,
    /// Problems of the directory as a whole that stop nothing (e.g. file names dbmate skips).
    warnings: Vec<Diagnostic>,
    options: MigratorOptions,
}

impl Migrator {
    /// Reads the migrations in `dirs`; refuses duplicate versions and unreadable files. Each
    /// file is checked only when it is about to run, and only in the part that runs (as dbmate
    /// parses a file only to apply it), so a no-op boot stays cheap and a down block's problem
    /// never stops `up`.
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<Self, MigrateError> {
        Self::from_discovery(discover_to(dirs, Depth::Markers)?)
    }

    /// Uses migrations embedded in the binary with `include_dir::include_dir!`.
    pub fn from_embedded(dir: &include_dir::Dir<'_>) -> Result<Self, MigrateError> {
        let files = dir.files().filter_map(|f| Some((f.path().to_path_buf(), f.contents_utf8()?.to_string()))).collect::<Vec<_>>();
        Self::from_sources(files)
    }

    /// Uses migrations given as (path, text) pairs; paths not named like migrations are skipped.
    pub fn from_sources(sources: impl IntoIterator<Item = (PathBuf, String)>) -> Result<Self, MigrateError> {
        let mut files: Vec<MigrationFile> =
            sources.into_iter().filter_map(|(path, text)| MigrationFile::parse_markers(path, text)).collect();
        files.sort_by(|a, b| a.filename.cmp(&b.filename));
        Self::from_discovery(Discovery { files, rejected: Vec::new() })
    }

    fn from_discovery(found: Discovery) -> Result<Self, MigrateError> {
        let mut whole = found.rejected;
        whole.extend(duplicate_versions(&found.files));
        let (problems, warnings) = stopping(whole, Way::Up);
        if !problems.is_empty() {
            return Err(NotRunnable { problems }.into());
        }
        Ok(Migrator { files: found.files, warnings, options: MigratorOptions::default() })
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: MigratorOptions) -> Self {
        self.options = options;
        self
    }

    /// The migration files, in order.
    pub fn files(&self) -> &[MigrationFile] {
        &self.files
    }

    /// Resolves the ledger table and takes its lock on `lock_client`'s session; the caller
    /// releases it with the returned key.
    async fn lock(
        &self,
        client: &Client,
        lock_client: &Client,
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<(LedgerTable, i64), MigrateError> {
        let ledger = LedgerTable::resolve(client, &self.options.table, &self.options.search_path).await?;
        let key = lock_key(&ledger);
        acquire(lock_client, key, self.options.lock_timeout, |holder| on(Event::WaitingForLock(holder))).await?;
        Ok((ledger, key))
    }

    /// Applies every pending migration on `client`, holding the lock on `lock_client`'s
    /// session (pass the same client when there is only one). Returns the applied file names.
    pub async fn up(
        &self,
        client: &Client,
        lock_client: &Client,
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Vec<String>, MigrateError> {
        let (ledger, key) = self.lock(client, lock_client, on).await?;
        let result = self.apply_pending(client, &ledger, on).await;
        release(lock_client, key).await?;
        result
    }

    /// Connects to `url` (with TLS as its `sslmode` says) and applies every pending migration,
    /// holding the lock on a second, dedicated connection.
    pub async fn up_url(&self, url: &str, on: &mut (dyn FnMut(Event<'_>) + Send)) -> Result<Vec<String>, MigrateError> {
        let parsed =
            super::DatabaseUrl::parse(url).map_err(|e| MigrateError::Connect { url: crate::report::redact_text(url), source: e.into() })?;
        let connect = || async { super::connect(&parsed).await.map_err(|source| MigrateError::Connect { url: parsed.redacted(), source }) };
        let (client, lock_client) = tokio::join!(connect(), connect());
        let (client, lock_client) = (client?, lock_client?);
        let mut options = self.options.clone();
        if options.search_path.is_empty() {
            options.search_path = parsed.search_path();
        }
        Migrator { files: self.files.clone(), warnings: self.warnings.clone(), options }.up(&client, &lock_client, on).await
    }

    async fn apply_pending(
        &self,
        client: &Client,
        ledger: &LedgerTable,
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Vec<String>, MigrateError> {
        // The ledger is read and the pending files checked before anything is created or
        // committed.
        let listed = list_applied(client, ledger).await?;
        let applied = listed.clone().versions();
        let pending: Vec<MigrationFile> = self.files.iter().filter(|f| !applied.contains(&f.version)).cloned().collect();
        if self.options.strict {
            let highest = self.files.iter().filter(|f| applied.contains(&f.version)).map(|f| &f.version).max();
            if let (Some(first), Some(highest)) = (pending.first(), highest) {
                if first.version <= *highest {
                    return Err(MigrateError::OutOfOrder { version: first.version.clone(), highest: highest.clone() });
                }
            }
        }
        let overlap = !self.options.count_rows
            && listed != Listed::NoSchema
            && pending.first().is_some_and(|f| {
                // A file with checks runs them first: it is not sent before it is parsed.
                f.up_is_transactional() && !f.up_may_end_its_transaction() && !crate::checks::may_have_checks(f.source.text())
            });
        let first = pending.first().filter(|_| overlap).cloned();
        let checking = tokio::task::spawn_blocking(move || checked(pending, Way::Up));
        if let Some(first) = first {
            let prelude = if listed == Listed::NoTable { format!("{};\n", ledger.create_sql()) } else { String::new() };
            return self.apply_first_while_checking(client, ledger, first, &prelude, checking, on).await;
        }
        let pending = self.take_checked(checking.await.expect("the file checks do not panic"), on)?;
        if !matches!(listed, Listed::Versions(_)) {
            create_ledger(client, ledger, on).await?;
        }
        self.run_each(client, ledger, &pending, Way::Up, Vec::new(), on).await
    }

    /// Sends the first pending file (and the ledger's `CREATE TABLE`, when it is missing) in an
    /// open transaction while every pending file is checked on another thread, and commits it
    /// only when all passed — so a big data migration costs its parse no wall time, and still
    /// nothing commits before every file is checked. Then the rest, one by one.
    async fn apply_first_while_checking(
        &self,
        client: &Client,
        ledger: &LedgerTable,
        first: MigrationFile,
        prelude: &str,
        checking: tokio::task::JoinHandle<Checked>,
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Vec<String>, MigrateError> {
        let started = Instant::now();
        let (sent, checked) = tokio::join!(send_uncommitted(client, &first, ledger, prelude), checking);
        let files = match self.take_checked(checked.expect("the file checks do not panic"), on) {
            Ok(files) => files,
            Err(refused) => {
                let _ = client.batch_execute("ROLLBACK").await;
                return Err(refused);
            }
        };
        let first = &files[0];
        // Said only now: had a check refused, this file would not have been applied.
        on(Event::Applying(first));
        if let Err(error) = sent {
            let blocks: Vec<&Block> = first.sections.iter().map(|s| &s.up).collect();
            let source = locate_failure(client, first, &blocks, (Way::Up, &ledger.insert_sql(&first.version)), &error).await;
            return Err(MigrateError::Migration { source, done: Vec::new() });
        }
        client.batch_execute("COMMIT").await.map_err(|source| MigrateError::Migration {
            source: ApplyError::Connection { path: first.path().display().to_string(), source },
            done: Vec::new(),
        })?;
        on(Event::Applied(first, &FileRun { took: started.elapsed(), ..FileRun::default() }));
        self.run_each(client, ledger, &files[1..], Way::Up, vec![first.filename.clone()], on).await
    }

    /// The checked files, after telling `on` the warnings (the directory's first).
    fn take_checked(&self, checked: Checked, on: &mut (dyn FnMut(Event<'_>) + Send)) -> Result<Vec<MigrationFile>, MigrateError> {
        let (files, warnings) = checked?;
        self.warnings.iter().chain(&warnings).for_each(|w| on(Event::Warning(w)));
        Ok(files)
    }

    /// Runs `files` one `way` in order, telling `on` before and after each; `done` lists files
    /// already run.
    async fn run_each(
        &self,
        client: &Client,
        ledger: &LedgerTable,
        files: &[MigrationFile],
        way: Way,
        mut done: Vec<String>,
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Vec<String>, MigrateError> {
        for file in files {
            on(if way == Way::Up { Event::Applying(file) } else { Event::RollingBack(file) });
            match run_file(
                client,
                file,
                ledger,
                way,
                FileOptions { count_rows: self.options.count_rows, stop_on_data_loss: self.options.stop_on_data_loss },
            )
            .await
            {
                Ok(run) => {
                    on(if way == Way::Up { Event::Applied(file, &run) } else { Event::RolledBack(file, &run) });
                    done.push(file.filename.clone());
                }
                Err(source) => return Err(MigrateError::Migration { source, done }),
            }
        }
        Ok(done)
    }

    /// Rolls back to `target`, newest first, under the lock. Returns the rolled-back files.
    pub async fn rollback(
        &self,
        client: &Client,
        lock_client: &Client,
        target: &RollbackTarget,
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Vec<String>, MigrateError> {
        let (ledger, key) = self.lock(client, lock_client, on).await?;
        let result = self.rollback_locked(client, &ledger, target, on).await;
        release(lock_client, key).await?;
        result
    }

    /// [`Migrator::rollback`]'s work once the lock is held.
    async fn rollback_locked(
        &self,
        client: &Client,
        ledger: &LedgerTable,
        target: &RollbackTarget,
        on: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Vec<String>, MigrateError> {
        let applied = list_applied(client, ledger).await?.versions();
        let status = Status::compute(&self.files, &applied);
        let newest_first: Vec<&String> = applied.iter().rev().collect();
        let chosen: Vec<&String> = match target {
            RollbackTarget::Steps(n) => newest_first.into_iter().take(*n).collect(),
            RollbackTarget::ToVersion(v) => {
                if !applied.contains(v) && !self.files.iter().any(|f| &f.version == v) {
                    return Err(MigrateError::UnknownVersion(v.clone()));
                }
                newest_first.into_iter().filter(|a| a.as_str() > v.as_str()).collect()
            }
        };
        if chosen.is_empty() && matches!(target, RollbackTarget::Steps(_)) {
            return Err(MigrateError::NothingToRollBack);
        }
        let mut to_run = Vec::new();
        for version in chosen {
            let Some(file) = self.files.iter().find(|f| &f.version == version) else {
                let why = match status.orphans.iter().find(|o| &o.version == version).and_then(|o| o.covered_by.clone()) {
                    Some(baseline) => format!("it was squashed into {baseline}, which cannot be rolled back"),
                    None => "no migration file has this version; restore the file or remove the ledger row by hand".into(),
                };
                return Err(MigrateError::NoFileFor { version: version.clone(), why });
            };
            to_run.push(file);
        }
        // Every file is checked before the first one runs.
        let to_run = self.take_checked(checked(to_run.into_iter().cloned().collect(), Way::Down), on)?;
        self.run_each(client, ledger, &to_run, Way::Down, Vec::new(), on).await
    }

    /// Which files are applied and pending, and which ledger rows have no file.
    pub async fn status(&self, client: &Client) -> Result<Status, MigrateError> {
        let ledger = LedgerTable::resolve(client, &self.options.table, &self.options.search_path).await?;
        let applied = list_applied(client, &ledger).await?.versions();
        Ok(Status::compute(&self.files, &applied))
    }
}

/// Files with their statements parsed and the problems that do not stop them, or the ones
/// that do.
type Checked = Result<(Vec<MigrationFile>, Vec<Diagnostic>), NotRunnable>;

/// `files` with their statements parsed, when none has an error in the part that runs `way`;
/// with the problems that do not stop it.
fn checked(mut files: Vec<MigrationFile>, way: Way) -> Checked {
    files.iter_mut().for_each(MigrationFile::parse_statements);
    let found = Discovery { files, rejected: Vec::new() };
    let warnings = check_runnable(&found, way)?;
    Ok((found.files, warnings))
}

/// What the ledger holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Listed {
    /// The applied versions.
    Versions(BTreeSet<String>),
    /// The table does not exist yet.
    NoTable,
    /// Nor does its schema.
    NoSchema,
}

impl Listed {
    /// The applied versions (none when the ledger does not exist).
    fn versions(self) -> BTreeSet<String> {
        match self {
            Listed::Versions(versions) => versions,
            Listed::NoTable | Listed::NoSchema => BTreeSet::new(),
        }
    }
}

/// Reads the ledger, telling a missing table from a missing schema.
async fn list_applied(client: &Client, ledger: &LedgerTable) -> Result<Listed, tokio_postgres::Error> {
    match client.query(&ledger.select_sql(), &[]).await {
        Ok(rows) => Ok(Listed::Versions(rows.iter().map(|r| r.get(0)).collect())),
        Err(e) if e.code().map(|c| c.code()) == Some("42P01") => {
            let schema = client.query_one("select exists (select 1 from pg_namespace where nspname = $1)", &[&ledger.schema]).await?;
            Ok(if schema.get(0) { Listed::NoTable } else { Listed::NoSchema })
        }
        Err(e) => Err(e),
    }
}

/// Creates the ledger (and its schema, as dbmate does).
async fn create_ledger(client: &Client, ledger: &LedgerTable, on: &mut (dyn FnMut(Event<'_>) + Send)) -> Result<(), tokio_postgres::Error> {
    match client.batch_execute(&ledger.create_sql()).await {
        Err(e) if e.code().map(|c| c.code()) == Some("3F000") => {
            on(Event::CreatingSchema(&ledger.schema));
            client.batch_execute(&format!("create schema if not exists {}", ledger.schema_sql)).await?;
            client.batch_execute(&ledger.create_sql()).await
        }
        other => other,
    }
}
