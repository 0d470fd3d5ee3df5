//! `squash` from plan to files: replay the chain, inspect what is retired, make the baseline,
//! surgery and rollback, prove them on one ephemeral server, and only when every check passed
//! replace the squashed files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use thiserror::Error;
use tokio::process::Command;

use super::audit::{Hit, HitKind, audit};
use super::baseline::{BaselineFacts, baseline_file, normalise_dump};
use super::data::{Contents, data_digest, pin_clock_values};
use super::dumped::{DumpError, Dumped, backups_excluded, pg_dump};
use super::inspect::{Details, inspect};
use super::plan::{Plan, PlanError};
use super::report::{BaselineRoles, ChainRows, Report, SampleRows, Timing};
use super::retired::Retired;
use super::roles::{ChainRole, read_roles, roles_sql};
use super::scripts::{ScriptInput, rollback, surgery};
use super::verify::{Check, CheckId, ScriptRuns, VerifyInput, kept_files_check, run_scripts, verify};
use crate::baseline::BaselineHeader;
use crate::catalog::{IntrospectOptions, fingerprint};
use crate::dump::{PgDumpVersion, ledger_extras, without_setup_entries};
use crate::ledger::{LedgerTable, Migrator, MigratorOptions};
use crate::lint::{NotRunnable, check_runnable};
use crate::migration::{Discovery, MigrationFile, Way, chain_hash, discover, render_sum, sum_path};
use crate::progress::{Progress, Within};
use crate::replay::{prepared_database, replay_after};
use crate::report::{Refusal, warning_line};
use crate::seed::{Borrowed, LeftAlone, Seeded, borrow, lend, seed, tables_parents_first};
use crate::server::{EphemeralServer, ServerError, ServerOptions};
use crate::setup::{Setup, SetupError};

/// Why a squash could not be made (nothing was written).
#[derive(Debug, Error)]
pub enum SquashError {
    /// The plan is unusable.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A setup file cannot be read.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The migrations have errors in what the replay runs.
    #[error("{0} (nothing was written)")]
    Lint(#[from] NotRunnable),
    /// Something in the plan cannot be carried out.
    #[error("the plan cannot be carried out (nothing was written):\n  - {}", .0.iter().map(Refusal::to_string).collect::<Vec<_>>().join("\n  - "))]
    Refused(Vec<Refusal>),
    /// Reading the migrations failed.
    #[error(transparent)]
    Discover(#[from] crate::migration::DiscoverError),
    /// The server failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Replaying the chain failed.
    #[error("replaying the chain failed (nothing was written): {0}")]
    Replay(#[from] crate::replay::ReplayError),
    /// pg_dump could not be run or failed.
    #[error(transparent)]
    Dump(#[from] DumpError),
    /// The migrations directory could not be swapped for the squashed one (it holds the old
    /// set of files, or an interrupted run's journal says where it stands).
    #[error("writing the squashed directory: {0}")]
    Swap(crate::migration::SwapError),
    /// A file could not be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The baseline does not read as a migration.
    #[error("the generated baseline is not a valid migration")]
    Baseline(#[source] crate::ledger::MigrateError),
}

/// How to squash.
#[derive(Debug, Clone)]
pub struct SquashOptions {
    /// The plan file.
    pub plan: PathBuf,
    /// The server to replay and verify on; its `setup` runs after the plan's.
    pub server: ServerOptions,
    /// `YYYYMMDD` naming the backup and `db/squash/<date>` (default: today, UTC).
    pub date: Option<String>,
    /// The real dbmate, to check the new directory with `dbmate up` (skipped when `None`).
    pub dbmate: Option<PathBuf>,
    /// Retired objects (`schema.table[.column]`) to retire although the audit still finds them.
    pub force_retire: Vec<String>,
    /// The ledger table, `table` or `schema.table` (dbmate's `--migrations-table`).
    pub ledger_table: String,
    /// Squash only the files up to this version; the later ones stay (`None`: all).
    pub through: Option<String>,
    /// A database whose rows the proof borrows (read-only, at most [`BORROWED_PER_TABLE`] per
    /// table) before its own sample rows: production's shapes of data.
    pub sample_from: Option<crate::ledger::DatabaseUrl>,
}

/// How many rows per table the proof borrows from `--sample-from`.
pub const BORROWED_PER_TABLE: u32 = 50;

impl SquashOptions {
    /// The ledger table as the squash's databases hold it (an unqualified name is in `public`).
    fn ledger(&self) -> LedgerTable {
        match self.ledger_table.split_once('.') {
            Some((schema, table)) => LedgerTable::quoted_locally(schema, table),
            None => LedgerTable::quoted_locally("public", &self.ledger_table),
        }
    }
}

/// The names the audit searches for: (`schema.table[.column]`, bare name).
pub fn audit_names(plan: &Plan) -> Vec<(String, String)> {
    plan.retire_tables
        .iter()
        .map(|t| (format!("{}.{}", t.schema, t.name), t.name.clone()))
        .chain(plan.retire_columns.iter().map(|c| (format!("{}.{}.{}", c.table.schema, c.table.name, c.column), c.column.clone())))
        .collect()
}

/// What a squash did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The report (also written as `report.md`): whether every check passed, every check, what
    /// was retired, timings.
    pub report: Report,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// The squashed migration files, removed (only when every check passed).
    pub removed: Vec<PathBuf>,
    /// `db/squash/<date>/report.md`.
    pub report_path: PathBuf,
    /// The commit message to use.
    pub commit_message: String,
}

fn write(path: &Path, text: &str) -> Result<(), SquashError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| SquashError::Write { path: dir.to_path_buf(), source })?;
    }
    std::fs::write(path, text).map_err(|source| SquashError::Write { path: path.to_path_buf(), source })
}

/// What the file checks found: the audit's references and the lint warnings.
struct Preflight {
    hits: Vec<Hit>,
    warnings: Vec<crate::report::Diagnostic>,
}

/// Splits the chain at `through` (inclusive): the files to squash and the later ones, which
/// stay after the baseline.
fn split_chain(
    files: Vec<MigrationFile>,
    through: Option<&str>,
    baseline_version: &str,
) -> Result<(Vec<MigrationFile>, Vec<MigrationFile>), SquashError> {
    if through.is_some_and(|v| !files.iter().any(|f| f.version == v)) {
        return Err(SquashError::Refused(vec![Refusal::new(
            format!("--through {}", through.unwrap_or_default()),
            "no migration has this version",
            "give one from `squashmate status` (the last one to squash)",
        )]));
    }
    let (squashed, kept): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| through.is_none_or(|v| f.version.as_str() <= v));
    if let [only] = squashed.as_slice() {
        if only.version == baseline_version {
            return Err(SquashError::Refused(vec![Refusal::new(
                only.path().display().to_string(),
                "would be the only migration squashed and is already the baseline: there is nothing to squash into it",
                "add migrations before squashing again, or squash through a later version",
            )]));
        }
    }
    let through = through.unwrap_or_default();
    if let Some(first_kept) = kept.first().filter(|f| f.version.as_str() <= baseline_version) {
        return Err(SquashError::Refused(vec![Refusal::new(
            format!("baseline_version {baseline_version}"),
            format!(
                "does not sort before {}, the first migration kept after --through {through}: fresh databases would apply them out of order",
                first_kept.filename
            ),
            "choose a lower baseline_version",
        )]));
    }
    Ok((squashed, kept))
}

/// The checks that need only the plan and the files: lint (errors in what the replay runs
/// stop it), the baseline version, the audit.
fn preflight(plan: &Plan, found: &Discovery, force_retire: &[String]) -> Result<Preflight, SquashError> {
    let warnings = check_runnable(found, Way::Up)?;
    // The baseline version may be taken only by the chain's first file: an earlier baseline,
    // which the new one replaces (a re-squash).
    if let Some(clash) = found.files.iter().skip(1).find(|f| f.version == plan.baseline_version) {
        return Err(SquashError::Refused(vec![Refusal::new(
            clash.path().display().to_string(),
            format!("already has the baseline version {}, and it is not the chain's first file", plan.baseline_version),
            "set another baseline_version in the plan",
        )]));
    }
    if found.files.is_empty() {
        return Err(SquashError::Refused(vec![Refusal::new(
            "the migrations directory",
            "holds no migrations to squash",
            "check -d / the plan's migrations_dir",
        )]));
    }
    let hits = if plan.src.is_empty() { Vec::new() } else { audit(&plan.src, &audit_names(plan)) };
    let blocking: Vec<Refusal> = hits
        .iter()
        .filter(|h| h.kind != HitKind::Comment && !force_retire.contains(&h.object))
        .map(|h| {
            Refusal::new(
                &h.object,
                format!(
                    "is still referenced in {} at {}:{}:{} (`{}`)",
                    if h.kind == HitKind::Code { "code" } else { "a string" },
                    h.path.display(),
                    h.line,
                    h.col,
                    h.text
                ),
                format!("remove the reference, or pass --force-retire {} once you have checked it", h.object),
            )
        })
        .collect();
    if !blocking.is_empty() {
        return Err(SquashError::Refused(blocking));
    }
    Ok(Preflight { hits, warnings })
}

/// What the baseline is made of: the replayed chain after the surgery (run on the replayed
/// database itself, which nothing needs afterwards), dumped with its rows but without the
/// backups and the ledger; its fingerprint; and what its tables and sequences hold.
struct Shaped {
    body: String,
    pg_dump_version: PgDumpVersion,
    fingerprint: String,
    data: BTreeMap<String, Contents>,
    pinned: Vec<String>,
}

/// Makes [`Shaped`] from the `replayed` database; `replay_started` is the server's clock when
/// the replay began (clock values written since are pinned). What `setup` made is taken out.
async fn shape_baseline(
    server: &EphemeralServer,
    replayed: &str,
    replay_started: &str,
    surgery_sql: &str,
    input: &ScriptInput<'_>,
    setup: &Setup,
    squashed_files: &[MigrationFile],
) -> Result<Shaped, SquashError> {
    let client = server.connect(replayed).await?;
    client.batch_execute(surgery_sql).await.map_err(|e| {
        SquashError::Refused(vec![Refusal::new(
            "the surgery",
            format!("fails on the replayed chain: {}", crate::report::with_causes(&e)),
            "check the plan's retired objects against what the chain creates",
        )])
    })?;
    let pinned = pin_clock_values(&client, input, replay_started).await.map_err(ServerError::Sql)?;
    let mut excluded = vec![format!("--exclude-table={}", input.ledger.qualified())];
    excluded.extend(backups_excluded(input));
    let options = IntrospectOptions { ledger_table: input.ledger.table.clone(), ..IntrospectOptions::default() };
    // The rows are read on their own session: the catalog's snapshot runs with an empty
    // search_path, under which an index expression calling an extension's SQL function fails.
    let rows_client = server.connect(replayed).await?;
    let (dump, catalog, data) = tokio::join!(
        pg_dump(server, replayed, &excluded, Dumped::SchemaAndRows),
        super::verify::without_backups(&client, input, &options),
        data_digest(&rows_client, input)
    );
    let print = fingerprint(&catalog.map_err(ServerError::Sql)?);
    let (mut dump, pg_dump_version) = dump?;
    // dbmate creates the ledger before it applies the baseline: what the chain granted on it,
    // commented or gave to another owner comes after the rest.
    let (ledger_dump, _) = pg_dump(server, replayed, &[format!("--table={}", input.ledger.qualified())], Dumped::SchemaOnly).await?;
    let extras = ledger_extras(&ledger_dump, &server.connect_info().user);
    if setup.makes_database_objects() {
        let (setup_only, _, _) = prepared_database(server, setup, &[]).await?;
        let (setup_dump, _) = pg_dump(server, &setup_only, &[], Dumped::SchemaAndRows).await?;
        dump = without_setup_entries(&dump, &setup_dump).map_err(|changed| {
            SquashError::Refused(
                changed
                    .into_iter()
                    .map(|entry| {
                        let changed_at = super::setup_change::statement_changing(squashed_files, &entry)
                            .map_or_else(|| "the squashed migrations".to_string(), |at| format!("the migration at {at}"));
                        Refusal::new(
                            format!("pg_dump entry `{entry}`"),
                            format!("was made by the setup ({}) and changed by {changed_at}: a baseline run after the setup cannot hold the change", setup.describe()),
                            "move that change into the setup, or into a migration kept after the baseline (--through)",
                        )
                    })
                    .collect(),
            )
        })?;
    }
    if !extras.is_empty() {
        let block = format!(
            "-- What the squashed chain granted on the ledger table, commented or made another role own\n-- (dbmate creates the table before it applies this file).\n\n{extras}"
        );
        // Before pg_dump's closing `\unrestrict` line, which must stay last.
        match dump.rfind("\n\\unrestrict ") {
            Some(at) => dump.insert_str(at + 1, &block),
            None => dump.push_str(&block),
        }
    }
    Ok(Shaped {
        body: normalise_dump(&dump, &server.connect_info().user, &extension_schemas(&client).await.map_err(ServerError::Sql)?),
        pg_dump_version,
        fingerprint: format!("{}:{}", crate::catalog::FORMAT, print.schema),
        data: data.map_err(ServerError::Sql)?,
        pinned,
    })
}

/// The roles the chain created: those its files create by name (also in `DO` blocks), and those
/// that appeared during the `replay` although nobody made them for it — with their attributes as
/// the replay left them.
async fn chain_roles(
    server: &EphemeralServer,
    replay: &crate::replay::ReplayReport,
    before: &std::collections::BTreeSet<String>,
) -> Result<Vec<ChainRole>, SquashError> {
    let client = server.connect(&replay.database).await?;
    let after = server.role_names().await?;
    let mut names = replay.created_by_chain.clone();
    names.extend(after.difference(before).filter(|r| !replay.made_for_chain.contains(*r)).cloned());
    Ok(read_roles(&client, &names).await.map_err(ServerError::Sql)?)
}

/// The schemas the database's extensions live in (`pg_catalog` aside), sorted.
async fn extension_schemas(client: &tokio_postgres::Client) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT DISTINCT n.nspname::text FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE n.nspname <> 'pg_catalog' ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The old chain with the surgery and its clock values pinned, as the baseline's rows were
/// made (no sample rows): the old chain's side of the behavioural proof (`Err`: why the
/// surgery did not run on it).
async fn surgered_as_the_baseline(server: &EphemeralServer, db: String, prepared: &Prepared) -> Result<String, String> {
    let client = server.connect(&db).await.map_err(|e| e.to_string())?;
    client.batch_execute(&prepared.surgery_sql).await.map_err(|e| crate::report::with_causes(&e))?;
    pin_clock_values(&client, &prepared.script_input(), &prepared.replay_started).await.map_err(|e| crate::report::with_causes(&e))?;
    Ok(db)
}

/// The statements of the user's workload file: the plan's `workload`, else
/// `squash/workload.sql` beside the plan when there is one.
fn user_workload(plan: &Plan, plan_path: &Path) -> Result<Vec<String>, SquashError> {
    let default = plan_path.parent().unwrap_or(Path::new(".")).join("squash/workload.sql");
    let Some(path) = plan.workload.clone().or_else(|| default.is_file().then_some(default)) else { return Ok(Vec::new()) };
    let text = std::fs::read_to_string(&path).map_err(|source| SquashError::Write { path: path.clone(), source })?;
    super::behaviour::user_statements(&text).map_err(|why| {
        SquashError::Refused(vec![Refusal::new(
            format!("workload {}", path.display()),
            format!("does not parse: {why}"),
            "fix the statement (it runs as written on both databases)",
        )])
    })
}

/// The rows `--sample-from` lends the proof: at most [`BORROWED_PER_TABLE`] of each table the
/// `replayed` chain has, read in one read-only snapshot.
async fn borrowed_rows(
    options: &SquashOptions,
    server: &EphemeralServer,
    replayed: &str,
    ledger: &LedgerTable,
) -> Result<Borrowed, SquashError> {
    let Some(url) = &options.sample_from else { return Ok(Borrowed::default()) };
    let refusal = |why: String| {
        SquashError::Refused(vec![Refusal::new(
            format!("--sample-from {}", url.redacted()),
            why,
            "check the URL and that its role may read the tables (nothing is written there)",
        )])
    };
    let source = crate::ledger::connect(url).await.map_err(|e| refusal(crate::report::with_causes(&e)))?;
    let tables = tables_parents_first(&server.connect(replayed).await?, &LeftAlone::ledger(ledger)).await.map_err(ServerError::Sql)?;
    borrow(&source, &tables, BORROWED_PER_TABLE).await.map_err(|e| refusal(crate::report::with_causes(&e)))
}

/// Sample rows in every table of `db` (the old chain's copy, A): the borrowed ones first, then
/// three of squashmate's own in each table.
async fn seed_rows(server: &EphemeralServer, db: &str, ledger: &LedgerTable, borrowed: &Borrowed) -> Result<Seeded, ServerError> {
    let client = server.connect(db).await?;
    client.batch_execute("BEGIN").await?;
    let left_alone = LeftAlone::ledger(ledger);
    let lent = lend(&client, borrowed, &left_alone).await?;
    let mut seeded = seed(&client, 3, &left_alone).await?;
    seeded.absorb(lent);
    client.batch_execute("COMMIT").await?;
    Ok(seeded)
}

/// The phases of a squash, in order: what its progress shows and its report times.
const PHASES: [&str; 5] = [
    "read and lint the migrations, start the ephemeral server",
    "replay the chain",
    "inspect retired objects, write the scripts",
    "make the baseline (surgery, pg_dump); run the surgery and the rollback on a seeded copy",
    "verify",
];

/// How long each phase took, for the report; `progress` hears of each phase as it begins.
struct Laps<'a> {
    started: Instant,
    lap: Instant,
    phases: Vec<(&'static str, std::time::Duration)>,
    progress: &'a dyn Progress,
}

impl<'a> Laps<'a> {
    fn start(progress: &'a dyn Progress) -> Self {
        progress.begin("squash", PHASES.len());
        progress.step(1, PHASES[0]);
        Laps { started: Instant::now(), lap: Instant::now(), phases: Vec::new(), progress }
    }

    /// Ends the phase under way and begins the next.
    fn done(&mut self) {
        self.phases.push((PHASES[self.phases.len()], self.lap.elapsed()));
        self.lap = Instant::now();
        match PHASES.get(self.phases.len()) {
            Some(next) => self.progress.step(self.phases.len() + 1, next),
            None => self.progress.end(),
        }
    }
}

/// Phase 1, prepare: the files read and checked, the chain replayed on the ephemeral server,
/// the retired objects inspected and the surgery and rollback written (in memory).
struct Prepared {
    plan: Plan,
    server: EphemeralServer,
    checked: Preflight,
    squashed_files: Vec<MigrationFile>,
    kept_files: Vec<MigrationFile>,
    /// The squashed versions, ascending.
    squashed: Vec<String>,
    date: String,
    squash_dir: PathBuf,
    ledger: LedgerTable,
    /// The database the chain was replayed into, and the server's clock when that began.
    replayed: String,
    replay_started: String,
    details: Details,
    surgery_sql: String,
    rollback_sql: String,
    /// What every throwaway database got before the chain.
    setup: Setup,
    /// The roles the chain created, which the baseline creates where missing.
    chain_roles: Vec<ChainRole>,
    /// The user's workload statements (`workload` in the plan).
    workload: Vec<String>,
    /// Rows borrowed from `--sample-from` (empty without it).
    borrowed: Borrowed,
}

impl Prepared {
    fn script_input(&self) -> ScriptInput<'_> {
        ScriptInput {
            details: &self.details,
            squashed: &self.squashed,
            baseline_version: &self.plan.baseline_version,
            ledger: &self.ledger,
            backup: self.plan.backup,
            date: &self.date,
            locks: self.plan.locks,
        }
    }

    /// The migrations directory the baseline goes into.
    fn first_dir(&self) -> &Path {
        &self.plan.migrations_dir[0]
    }
}

/// Phase 2, build: the baseline file, made from the replayed chain after the surgery; the
/// seeded chain (sample rows) and the surgery and rollback run on copies of it.
struct Built {
    baseline: BaselineFile,
    shaped: Shaped,
    seeded: Seeded,
    script_runs: ScriptRuns,
    /// The old chain's side of the behavioural proof (see [`surgered_as_the_baseline`]).
    behaviour: Result<String, String>,
}

/// The baseline migration file, before it is written.
struct BaselineFile {
    name: String,
    path: PathBuf,
    text: String,
}

/// Phase 3, prove: every check, and the rows the chain leaves in the baseline.
struct Proven {
    checks: Vec<Check>,
    chain_rows: ChainRows,
    /// What the new migrations directory holds: the baseline, then the kept files.
    new_directory: Vec<(PathBuf, String)>,
}

/// Runs the squash described by `options.plan`: prepare, build, prove, then write; `progress`
/// hears of each phase as it begins (and of the chain's files as they are replayed), and of the
/// lint warnings before the work.
pub async fn squash(options: &SquashOptions, progress: &dyn Progress) -> Result<Outcome, SquashError> {
    let mut laps = Laps::start(progress);
    let prepared = prepare(options, &mut laps).await?;
    let Built { baseline, shaped, seeded, script_runs, behaviour } = build(&prepared).await?;
    laps.done();
    let proven = prove(options, &prepared, script_runs, behaviour, &shaped, &baseline).await?;
    laps.done();
    write_outcome(prepared, &seeded, shaped.pg_dump_version, baseline, proven, laps)
}

async fn prepare(options: &SquashOptions, laps: &mut Laps<'_>) -> Result<Prepared, SquashError> {
    let plan = Plan::load(&options.plan)?;
    let workload = user_workload(&plan, &options.plan)?;
    for dir in &plan.migrations_dir {
        let found = crate::migration::interrupted(dir).map_err(|source| SquashError::Write { path: dir.clone(), source })?;
        if let Some(found) = found {
            return Err(SquashError::Swap(crate::migration::SwapError::Interrupted(found.explain(dir))));
        }
    }
    // The files are read and linted while the server starts (which must happen on this thread).
    let checking = {
        let (plan, force_retire) = (plan.clone(), options.force_retire.clone());
        tokio::task::spawn_blocking(move || {
            let found = discover(&plan.migrations_dir)?;
            let checked = preflight(&plan, &found, &force_retire)?;
            Ok::<_, SquashError>((found, checked))
        })
    };
    let server = EphemeralServer::start(&options.server).await;
    let (found, checked) = checking.await.expect("the file checks do not panic")?;
    checked.warnings.iter().for_each(|w| laps.progress.warn(&warning_line(w)));
    let (squashed_files, kept_files) = split_chain(found.files, options.through.as_deref(), &plan.baseline_version)?;
    let server = server?;
    laps.done();
    let date = options.date.clone().unwrap_or_else(|| chrono::Utc::now().format("%Y%m%d").to_string());
    let squash_dir = plan.migrations_dir[0].parent().unwrap_or(Path::new(".")).join("squash").join(&date);

    let replay_started = server.clock().await?;
    let ledger = options.ledger();
    let setup = plan.setup()?.and(options.server.setup.clone());
    let roles_before = server.role_names().await?;
    let replay = replay_after(&server, &setup, &squashed_files, &ledger, &Within::new(laps.progress), |_, _| {}).await?;
    let chain_roles = chain_roles(&server, &replay, &roles_before).await?;
    let replayed = replay.database;
    let borrowed = borrowed_rows(options, &server, &replayed, &ledger).await?;
    laps.done();
    let inspecting = server.connect(&replayed).await?;
    let mut refusals = super::links::live_links(&inspecting, &plan, &options.force_retire).await.map_err(ServerError::Sql)?;
    let details = match inspect(&inspecting, &plan).await.map_err(ServerError::Sql)? {
        Ok(details) if refusals.is_empty() => details,
        Ok(_) => return Err(SquashError::Refused(refusals)),
        Err(more) => {
            refusals.extend(more);
            return Err(SquashError::Refused(refusals));
        }
    };
    drop(inspecting);
    let squashed = squashed_files.iter().map(|f| f.version.clone()).collect();
    let mut prepared = Prepared {
        plan,
        server,
        checked,
        squashed_files,
        kept_files,
        squashed,
        date,
        squash_dir,
        ledger,
        replayed,
        replay_started,
        details,
        surgery_sql: String::new(),
        rollback_sql: String::new(),
        setup,
        chain_roles,
        workload,
        borrowed,
    };
    (prepared.surgery_sql, prepared.rollback_sql) = (surgery(&prepared.script_input()), rollback(&prepared.script_input()));
    laps.done();
    Ok(prepared)
}

/// The baseline is made from the replayed database (surgery, then pg_dump) while a copy of it,
/// the seeded chain, gets sample rows, then is copied for the surgery (`surgered`) and taken
/// through the surgery and the rollback itself (`rolled_back`).
async fn build(prepared: &Prepared) -> Result<Built, SquashError> {
    let (server, input) = (&prepared.server, prepared.script_input());
    let seeded_db = server.create_database(Some(&prepared.replayed)).await?;
    let behaviour_db = server.create_database(Some(&prepared.replayed)).await?;
    let (shaped, runs, behaviour) = tokio::join!(
        shape_baseline(
            server,
            &prepared.replayed,
            &prepared.replay_started,
            &prepared.surgery_sql,
            &input,
            &prepared.setup,
            &prepared.squashed_files
        ),
        async {
            let seeded = seed_rows(server, &seeded_db, &prepared.ledger, &prepared.borrowed).await?;
            let runs = run_scripts(server, &seeded_db, &prepared.surgery_sql, &prepared.rollback_sql, &input).await?;
            Ok::<_, ServerError>((seeded, runs))
        },
        surgered_as_the_baseline(server, behaviour_db, prepared)
    );
    let (shaped, (seeded, script_runs)) = (shaped?, runs?);
    let chain: Vec<(String, String)> = prepared.squashed_files.iter().map(|f| (f.filename.clone(), f.source.text().to_string())).collect();
    let header = BaselineHeader { replaces: prepared.squashed.clone(), chain_hash: chain_hash(&chain) };
    let baseline_name = format!("{}_baseline.sql", prepared.plan.baseline_version);
    let squash_dir = prepared.squash_dir.display().to_string();
    let facts = BaselineFacts {
        header: &header,
        fingerprint: &shaped.fingerprint,
        postgres_version: server.version().split_whitespace().next().unwrap_or(""),
        squash_dir: &squash_dir,
    };
    let baseline_text = baseline_file(&facts, &format!("{}{}", roles_sql(&prepared.chain_roles), shaped.body));
    let baseline = BaselineFile { path: prepared.first_dir().join(&baseline_name), name: baseline_name, text: baseline_text };
    Ok(Built { baseline, shaped, seeded, script_runs, behaviour })
}

/// Every check: the proof on the seeded chain, the kept files after the baseline, and the real
/// dbmate on the new directory when one is given.
async fn prove(
    options: &SquashOptions,
    prepared: &Prepared,
    script_runs: ScriptRuns,
    behaviour: Result<String, String>,
    shaped: &Shaped,
    baseline: &BaselineFile,
) -> Result<Proven, SquashError> {
    let server = &prepared.server;
    let migrator = |files: Vec<(PathBuf, String)>| {
        Migrator::from_sources(files)
            .map(|m| m.with_options(MigratorOptions { table: options.ledger_table.clone(), ..MigratorOptions::default() }))
            .map_err(SquashError::Baseline)
    };
    let kept_sources: Vec<(PathBuf, String)> =
        prepared.kept_files.iter().map(|f| (f.path().to_path_buf(), f.source.text().to_string())).collect();
    let baseline = (baseline.path.clone(), baseline.text.clone());
    let new_chain = migrator(vec![baseline.clone()])?;
    let new_directory: Vec<(PathBuf, String)> = std::iter::once(baseline).chain(kept_sources.clone()).collect();
    let input = prepared.script_input();
    let proof = verify(VerifyInput {
        server,
        script_runs,
        surgery: &prepared.surgery_sql,
        rollback: &prepared.rollback_sql,
        new_chain: &new_chain,
        scripts: &input,
        chain_data: shaped.data.clone(),
        setup: &prepared.setup,
        workload: &prepared.workload,
        borrowed: &prepared.borrowed,
        behaviour,
    });
    let with_kept = async {
        if kept_sources.is_empty() {
            return Ok(None);
        }
        let (kept, new_directory) = (migrator(kept_sources.clone())?, migrator(new_directory.clone())?);
        Ok::<_, SquashError>(Some(kept_files_check(server, &prepared.replayed, &kept, &new_directory, &input, &prepared.setup).await))
    };
    let with_dbmate = async {
        match &options.dbmate {
            Some(dbmate) => Some(dbmate_check(server, &prepared.setup, dbmate, &options.ledger_table, &new_directory).await),
            None => None,
        }
    };
    let (proof, with_kept, with_dbmate) = tokio::join!(proof, with_kept, with_dbmate);
    let mut checks = proof?;
    checks.extend(with_kept?);
    checks.extend(with_dbmate);
    Ok(Proven { checks, chain_rows: ChainRows::new(&shaped.data, shaped.pinned.clone()), new_directory })
}

/// Phase 4, write: the scripts and the report always; the baseline, the removal of the
/// squashed files and `migrations.sum` only when every check passed.
fn write_outcome(
    prepared: Prepared,
    seeded: &Seeded,
    pg_dump_version: PgDumpVersion,
    baseline: BaselineFile,
    proven: Proven,
    laps: Laps<'_>,
) -> Result<Outcome, SquashError> {
    let Prepared {
        plan,
        server,
        checked,
        squashed_files,
        kept_files,
        squashed,
        squash_dir,
        details,
        surgery_sql,
        rollback_sql,
        chain_roles,
        ..
    } = prepared;
    let report = Report {
        passed: proven.checks.iter().all(|c| c.passed),
        proven_on: format!("PostgreSQL {}, dumped with pg_dump {}", server.version(), pg_dump_version),
        squashed: squashed.clone(),
        kept: kept_files.iter().map(|f| f.version.clone()).collect(),
        baseline_version: plan.baseline_version.clone(),
        total_ms: laps.started.elapsed().as_millis(),
        retired: Retired::from(&details),
        audited: plan.src.clone(),
        audit: checked.hits,
        checks: proven.checks,
        timings: laps.phases.iter().map(|(step, took)| Timing { step: step.to_string(), ms: took.as_millis() }).collect(),
        sample_rows: SampleRows::from(seeded),
        chain_rows: proven.chain_rows,
        lint_warnings: checked.warnings,
        roles: BaselineRoles { used: roles_used(&baseline.text, &chain_roles), created: chain_roles },
    };
    let report_path = squash_dir.join("report.md");
    let (surgery_path, rollback_path) = (squash_dir.join("surgery.sql"), squash_dir.join("rollback.sql"));
    write(&surgery_path, &surgery_sql)?;
    write(&rollback_path, &rollback_sql)?;
    write(&report_path, &report.markdown())?;
    let mut written = vec![surgery_path, rollback_path, report_path.clone()];
    let mut removed = Vec::new();
    if report.passed {
        let sum_file = sum_path(&plan.migrations_dir);
        let mut listed: Vec<(String, String)> = proven
            .new_directory
            .iter()
            .map(|(path, text)| (path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), text.clone()))
            .collect();
        listed.sort();
        let baseline_dir = baseline.path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        // Each directory swapped whole: the squashed files out, the baseline in (a re-squash's
        // earlier baseline may have the new one's name), `migrations.sum` with the baseline's.
        let mut dirs: Vec<PathBuf> = squashed_files.iter().filter_map(|f| f.path().parent().map(Path::to_path_buf)).collect();
        dirs.retain(|d| d != &baseline_dir);
        dirs.sort();
        dirs.dedup();
        dirs.push(baseline_dir.clone());
        for dir in &dirs {
            let name_in =
                |p: &Path| (p.parent() == Some(dir.as_path())).then(|| p.file_name().map(|n| n.to_string_lossy().into_owned())).flatten();
            let is_baseline_dir = dir == &baseline_dir;
            let rewrite = crate::migration::Rewrite {
                operation: "squash".into(),
                remove: squashed_files.iter().filter_map(|f| name_in(f.path())).collect(),
                write: if is_baseline_dir {
                    name_in(&baseline.path).map(|n| (n, baseline.text.clone())).into_iter().collect()
                } else {
                    Vec::new()
                },
                sum: is_baseline_dir.then(|| (sum_file.clone(), render_sum(&listed))),
            };
            crate::migration::rewrite(dir, &rewrite).map_err(SquashError::Swap)?;
        }
        removed.extend(squashed_files.iter().map(|f| f.path().to_path_buf()));
        written.push(baseline.path);
        written.push(sum_file);
    }
    let commit_message = commit_message(&squashed, kept_files.len(), &baseline.name, &squash_dir, &report_path);
    Ok(Outcome { report, written, removed, report_path, commit_message })
}

/// The roles the baseline text grants to or gives ownership to that it does not create.
fn roles_used(baseline: &str, created: &[ChainRole]) -> Vec<String> {
    crate::migration::referenced_roles(baseline).into_iter().filter(|r| !created.iter().any(|c| &c.name == r)).collect()
}

/// The commit message of a squash, with the `[squash-baseline]` sentinel the gate accepts.
fn commit_message(squashed: &[String], kept: usize, baseline_name: &str, squash_dir: &Path, report_path: &Path) -> String {
    let keeping = match kept {
        0 => String::new(),
        n => format!(", keeping the {n} later one{}", if n == 1 { "" } else { "s" }),
    };
    format!(
        "Squash {} migration{} ({}..{}) into {baseline_name}{keeping} [squash-baseline]\n\nSurgery and rollback: {}/. Report: {}.",
        squashed.len(),
        if squashed.len() == 1 { "" } else { "s" },
        squashed.first().map(String::as_str).unwrap_or(""),
        squashed.last().map(String::as_str).unwrap_or(""),
        squash_dir.display(),
        report_path.display()
    )
}

async fn dbmate_check(server: &EphemeralServer, setup: &Setup, dbmate: &Path, ledger_table: &str, files: &[(PathBuf, String)]) -> Check {
    let started = Instant::now();
    let result = async {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        for (path, text) in files {
            let name = path.file_name().ok_or_else(|| format!("{} has no file name", path.display()))?;
            std::fs::write(dir.path().join(name), text).map_err(|e| e.to_string())?;
        }
        let (db, _) = super::verify::fresh_database(server, setup).await?;
        let out = Command::new(dbmate)
            .args(["--no-dump-schema", "--migrations-table", ledger_table, "-d"])
            .arg(dir.path())
            .args(["-u", &server.url(&db), "up"])
            .output()
            .await
            .map_err(|e| e.to_string())?;
        if out.status.success() { Ok(String::new()) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_string()) }
    }
    .await;
    Check::new(CheckId::DbmateApplies, started, result)
}
