//! The command line: clap definitions (dbmate's flags and commands, accepted before or after
//! the command), one file per command, exit codes 0 ok / 1 findings / 2 error (3: env file).

/// `print!` for command output: a closed stdout (`squashmate … | head`) is not an error; the
/// command still finishes its work and exits with its own code.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `println!` for command output, with `out!`'s handling of a closed stdout.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod admin;
mod backups;
mod check;
mod database;
mod diff;
mod differences;
mod drift;
mod env_file;
mod fleet;
mod gate;
mod hash;
mod lint;
mod migrate;
mod new;
mod pg;
mod plan;
mod progress;
mod replay;
mod rollback;
mod schema_file;
mod server_args;
mod squash;
mod status;
mod value;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::Format;
use server_args::ServerArgs;

/// Exit code: success, nothing found.
pub const EXIT_OK: u8 = 0;
/// Exit code: the command ran and found problems (or, for `status --exit-code`, pending migrations).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: the command could not do its job.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: an env file could not be loaded (as dbmate).
pub const EXIT_ENV_FILE: u8 = 3;

/// squashmate: squash, gate, apply and diff PostgreSQL migrations kept in dbmate's format.
#[derive(Debug, Parser)]
#[command(name = "squashmate", version, about, propagate_version = true)]
pub struct Cli {
    /// Database URL (default: the variable named by --env).
    #[arg(short = 'u', long, global = true)]
    pub url: Option<String>,
    /// Environment variable holding the database URL.
    #[arg(short = 'e', long, global = true, default_value = "DATABASE_URL")]
    pub env: String,
    /// File(s) to load environment variables from (read before anything else).
    #[arg(long = "env-file", global = true, default_value = ".env")]
    pub env_file: Vec<PathBuf>,
    /// Migrations directory (repeatable; files are ordered by name across all of them).
    #[arg(
        short = 'd',
        long = "migrations-dir",
        global = true,
        env = "DBMATE_MIGRATIONS_DIR",
        value_delimiter = ',',
        default_value = "db/migrations"
    )]
    pub migrations_dir: Vec<PathBuf>,
    /// Ledger table, `table` or `schema.table`.
    #[arg(long, global = true, env = "DBMATE_MIGRATIONS_TABLE", default_value = "schema_migrations")]
    pub migrations_table: String,
    /// Schema file written by `dump` (and after up/migrate/rollback).
    #[arg(short = 's', long, global = true, env = "DBMATE_SCHEMA_FILE", default_value = "./db/schema.sql")]
    pub schema_file: PathBuf,
    /// Do not write the schema file after up/migrate/rollback.
    #[arg(long, global = true, env = "DBMATE_NO_DUMP_SCHEMA", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_dump_schema: bool,
    /// Wait for the database to accept connections before the command.
    #[arg(long, global = true, env = "DBMATE_WAIT", value_parser = clap::builder::BoolishValueParser::new())]
    pub wait: bool,
    /// How long --wait and `wait` keep trying.
    #[arg(long, global = true, env = "DBMATE_WAIT_TIMEOUT", default_value = "60s")]
    pub wait_timeout: humantime::Duration,
    /// Time between connection attempts while waiting.
    #[arg(long, global = true, env = "DBMATE_WAIT_INTERVAL", default_value = "1s")]
    pub wait_interval: humantime::Duration,
    /// Refuse to apply a migration older than the newest applied one.
    #[arg(long, global = true, env = "DBMATE_STRICT", value_parser = clap::builder::BoolishValueParser::new())]
    pub strict: bool,
    /// Stop a file before a DROP TABLE / DROP COLUMN that would lose rows, as the other checks
    /// stop theirs (`-- squashmate:allow data-loss <why>` above the statement lets it run).
    /// Without it `up` runs the drop, as dbmate does; `squashmate check` always reports it.
    #[arg(long, global = true, env = "SQUASHMATE_STOP_ON_DATA_LOSS", value_parser = clap::builder::BoolishValueParser::new())]
    pub stop_on_data_loss: bool,
    /// Print the rows affected by each statement.
    #[arg(short = 'v', long, global = true, env = "DBMATE_VERBOSE", value_parser = clap::builder::BoolishValueParser::new())]
    pub verbose: bool,
    /// How long to wait for another process holding the migration lock.
    #[arg(long, global = true, env = "SQUASHMATE_LOCK_TIMEOUT", default_value = "5m")]
    pub lock_timeout: humantime::Duration,
    /// dbmate 2.37's flag. squashmate always takes its own migration lock and dbmate's (advisory
    /// lock 48372615), so `dbmate --migration-lock` and squashmate exclude each other; accepted
    /// for drop-in use, it changes nothing.
    #[arg(long, global = true, env = "DBMATE_MIGRATION_LOCK", value_parser = clap::builder::BoolishValueParser::new())]
    pub migration_lock: bool,
    /// dbmate 2.37's flag: how long to wait for the migration lock, `0` for ever (as dbmate);
    /// when given, it is used instead of --lock-timeout.
    #[arg(long, global = true, env = "DBMATE_MIGRATION_LOCK_TIMEOUT", value_name = "DURATION")]
    pub migration_lock_timeout: Option<humantime::Duration>,
    /// Run `status`, `up`, `migrate`, `drift`, `run-script` or `backups` on every database listed in FILE (one URL per
    /// line, `#` comments, `${VAR}` from the environment) instead of one.
    #[arg(long, global = true, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// With --targets: how many databases at once.
    #[arg(long, global = true, default_value_t = 4, value_name = "N")]
    pub parallel: usize,
    /// With --targets and up/migrate: the first N targets first; stop if any of them fails.
    #[arg(long, global = true, value_name = "N")]
    pub canary: Option<usize>,
    /// With --targets: only every N-th target, starting at the K-th (for CI matrices).
    #[arg(long, global = true, value_name = "K/N")]
    pub shard: Option<crate::fleet::Shard>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// How long to wait for the migration locks: `--migration-lock-timeout` when given (`0`: for
    /// ever, as dbmate), else `--lock-timeout`.
    pub fn migration_lock_wait(&self) -> std::time::Duration {
        match self.migration_lock_timeout.map(std::time::Duration::from) {
            Some(std::time::Duration::ZERO) => std::time::Duration::MAX,
            Some(wait) => wait,
            None => self.lock_timeout.into(),
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new migration file `YYYYMMDDHHMMSS_NAME.sql` from dbmate's template.
    #[command(alias = "n")]
    New {
        /// What the migration does, e.g. `create_users`.
        name: String,
    },
    /// Create the database if necessary, then apply every pending migration.
    Up {
        /// With --targets: the results table as text or JSON.
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
    },
    /// Create the database.
    Create,
    /// Drop the database (if it exists).
    Drop,
    /// Apply every pending migration.
    Migrate {
        /// With --targets: the results table as text or JSON.
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
    },
    /// Roll back the most recent migration (or --steps N, or --to VERSION).
    #[command(alias = "down")]
    Rollback {
        /// How many migrations to roll back.
        #[arg(long, conflicts_with = "to")]
        steps: Option<usize>,
        /// Roll back every migration newer than this version.
        #[arg(long)]
        to: Option<String>,
    },
    /// Ask the database the pending migrations' checks (the rows each statement would fail on
    /// or lose, and `-- squashmate:check NAME: SQL` comments) in a read-only transaction,
    /// applying nothing. Exit 0 they would apply, 1 a check found rows.
    Check {
        /// Text, JSON or Markdown (with --targets: the results table).
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
    },
    /// List applied and pending migrations (and ledger rows without a file).
    Status {
        /// Exit 1 when migrations are pending.
        #[arg(long)]
        exit_code: bool,
        /// Print nothing (implies --exit-code).
        #[arg(long)]
        quiet: bool,
        /// With --targets: the results table as text or JSON.
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
    },
    /// Write the database schema to the schema file (extra pg_dump arguments after `--`).
    Dump {
        /// Extra arguments for pg_dump.
        #[arg(last = true)]
        extra: Vec<String>,
    },
    /// Load the schema file into the database.
    Load,
    /// Wait for the database to accept connections.
    Wait,
    /// Squash the migrations into one baseline by the plan (db/squash.toml): baseline, surgery,
    /// rollback, proven on an ephemeral server before any file is replaced.
    Squash {
        /// Write a commented starter plan instead.
        #[arg(long, conflicts_with_all = ["resume", "abandon"])]
        init: bool,
        /// Finish a squash (or `plan --write`, `new`) that was interrupted while it swapped the
        /// migrations directory: afterwards it holds the new set of files.
        #[arg(long, conflicts_with = "abandon")]
        resume: bool,
        /// Undo such an interrupted swap: afterwards the directory holds the old set of files.
        #[arg(long)]
        abandon: bool,
        /// The plan.
        #[arg(long, default_value = "db/squash.toml")]
        plan: PathBuf,
        /// The date naming the backup and `db/squash/<date>` (default: today, UTC).
        #[arg(long, hide = true)]
        date: Option<String>,
        /// The real dbmate binary, to check the new directory with `dbmate up` too.
        #[arg(long, env = "SQUASHMATE_DBMATE")]
        dbmate: Option<PathBuf>,
        /// Retire this object (as written in the plan, unquoted) although the audit still finds it.
        #[arg(long)]
        force_retire: Vec<String>,
        /// Squash only the migrations up to this version (inclusive); later ones stay after the
        /// baseline and the proof covers them.
        #[arg(long, value_name = "VERSION")]
        through: Option<String>,
        /// A database (production, a replica, staging) whose rows the proof borrows: at most 50
        /// per table, read in one read-only snapshot, nothing written there.
        #[arg(long, value_name = "URL", env = "SQUASHMATE_SAMPLE_FROM", hide_env_values = true)]
        sample_from: Option<String>,
        /// Print the outcome as text, JSON, or the report as Markdown (with a Mermaid graph of
        /// what is retired and what depended on it).
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
        /// Which server to replay and verify on.
        #[command(flatten)]
        server: ServerArgs,
    },
    /// What squashes' surgeries kept in the database (or every database of --targets): list
    /// them, restore one, drop old ones.
    Backups {
        /// What to do.
        #[command(subcommand)]
        action: backups::BackupsAction,
    },
    /// Every reference to the plan's retired tables and columns in source trees, with its kind
    /// (code, string, comment). Exit 1 when code or strings still use one.
    Audit {
        /// Source trees to search (default: the plan's `src`).
        #[arg(long)]
        src: Vec<PathBuf>,
        /// The plan naming the retired objects.
        #[arg(long, default_value = "db/squash.toml")]
        plan: PathBuf,
        /// Output format.
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Run a squash's surgery or rollback script on the database (or on every database of
    /// --targets), each in its own session; a database the script's preflight finds done
    /// already is reported as such, so a run can be repeated safely.
    RunScript {
        /// The script, e.g. db/squash/20260101/surgery.sql.
        script: PathBuf,
        /// The results table as text or JSON.
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
    },
    /// Merge the `--format json` results of fleet runs (e.g. one per shard) into one table.
    FleetReport {
        /// The JSON files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The merged table as text or JSON.
        #[arg(long, value_parser = value::format(), default_value = "text")]
        format: Format,
    },
    /// Check every migration file without touching a database; report every problem.
    Lint(LintArgs),
    /// Write `migrations.sum` (chained hashes of every migration); `--check` verifies it.
    Hash {
        /// Verify instead of writing.
        #[arg(long)]
        check: bool,
        /// The sum file (default: beside the first migrations directory, `db/migrations.sum`).
        #[arg(long)]
        sum_file: Option<PathBuf>,
        /// Output format.
        #[command(flatten)]
        format: FormatArgs,
    },
    /// CI check: no applied migration modified, deleted or renamed between two revisions,
    /// except by an honest `[squash-baseline]` squash.
    Gate {
        /// The base revision (e.g. origin/main).
        #[arg(long)]
        base: String,
        /// The head revision.
        #[arg(long, default_value = "HEAD")]
        head: String,
        /// Allow new migrations older than the newest one on base.
        #[arg(long)]
        allow_out_of_order: bool,
        /// The sum file (default: `db/migrations.sum`).
        #[arg(long)]
        sum_file: Option<PathBuf>,
        /// Output format.
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Compare two schemas; each side a postgres URL, a migrations directory (replayed) or a
    /// schema .sql file (loaded). Exit 0 equal, 1 different.
    Diff {
        /// The left side (e.g. what the migrations say).
        left: String,
        /// The right side (e.g. the live database).
        right: String,
        /// Classes of differences to leave out.
        #[command(flatten)]
        compare: CompareArgs,
        /// Which server to replay or load on.
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Compare the live database (DATABASE_URL) with its own migrations at the versions its
    /// ledger holds; every difference with its fix. Cosmetic differences are ignored unless
    /// --ignore is given.
    Drift {
        /// Classes of differences to leave out.
        #[command(flatten)]
        compare: CompareArgs,
        /// Which server to replay on.
        #[command(flatten)]
        server: ServerArgs,
    },
    /// The migration that takes the chain's schema (or --from) to a declared one (--to: a URL,
    /// migrations or a schema file): ordered, classed, lock-friendly; --write adds it to the
    /// chain once proven both ways. Exit 0 nothing to do, 1 a plan, 2 refused.
    Plan(plan::PlanArgs),
    /// The PostgreSQL installations replays can run on (local and downloaded), and downloads.
    Pg {
        /// What to do.
        #[command(subcommand)]
        action: PgAction,
    },
    /// Apply the whole chain to a fresh database on an ephemeral server, timing each file.
    Replay {
        /// Output format for a failure.
        #[command(flatten)]
        format: FormatArgs,
        /// For every file: up, down, compare the schema with the one before the up, up again;
        /// a down that cannot run or does not restore it is a finding (exit 1).
        #[arg(long, conflicts_with = "trace")]
        check_down: bool,
        /// With --check-down: an empty down block is a warning, not a finding (for teams that do
        /// not write downs). A single down can say so with a `-- squashmate:irreversible` comment.
        #[arg(long, requires = "check_down")]
        allow_empty_down: bool,
        /// With sample rows in every table, record what each statement really did (locks on
        /// existing tables, rewrites, time) and confirm or contradict `lint --hazards`.
        #[arg(long)]
        trace: bool,
        /// Which server to replay on.
        #[command(flatten)]
        server: ServerArgs,
    },
}

impl Command {
    /// Whether the command applies, rolls back or reports the migrations files on a database.
    fn applies_migrations(&self) -> bool {
        matches!(
            self,
            Command::Up { .. } | Command::Migrate { .. } | Command::Rollback { .. } | Command::Status { .. } | Command::Check { .. }
        )
    }

    /// Whether the command works on the database of `--url`/`DATABASE_URL` (so `--wait`
    /// waits for it first). A new command waits only when it is listed here.
    fn works_on_the_database(&self) -> bool {
        matches!(
            self,
            Command::Up { .. }
                | Command::Create
                | Command::Drop
                | Command::Migrate { .. }
                | Command::Rollback { .. }
                | Command::Status { .. }
                | Command::Dump { .. }
                | Command::Load
                | Command::Drift { .. }
                | Command::RunScript { .. }
                | Command::Backups { .. }
                | Command::Check { .. }
        )
    }
}

/// `pg`'s actions.
#[derive(Debug, Subcommand)]
pub enum PgAction {
    /// Download PostgreSQL majors into the cache (with a pg_dump able to dump them).
    Install {
        /// The majors, e.g. `14 16 17 18`.
        #[arg(required = true, value_parser = clap::value_parser!(u32))]
        majors: Vec<u32>,
        /// Refuse to download (only report what is cached).
        #[arg(long, env = "SQUASHMATE_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
        offline: bool,
    },
    /// List local installations and the download cache.
    List {
        /// Output format.
        #[command(flatten)]
        format: FormatArgs,
    },
}

/// Options of the schema comparisons.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// Leave out differences of this class (repeatable): destructive, needs-confirm, safe, cosmetic.
    #[arg(long, value_parser = value::class())]
    pub ignore: Vec<crate::catalog::Class>,
    /// Also compare grants and default privileges.
    #[arg(long)]
    pub privileges: bool,
    /// How to print the differences.
    #[arg(long, value_parser = value::format(), default_value = "text")]
    pub format: Format,
}

/// `--format` for commands that report findings.
#[derive(Debug, Clone, clap::Args)]
pub struct FormatArgs {
    /// How to print findings.
    #[arg(long, value_parser = value::format(), default_value = "text")]
    pub format: Format,
}

/// `lint`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct LintArgs {
    /// How to print findings.
    #[arg(long, value_parser = value::format(), default_value = "text")]
    pub format: Format,
    /// Also report what each up block will lock, rewrite, scan or break on a live database.
    #[arg(long)]
    pub hazards: bool,
    /// With --hazards: exit 1 when there is a hazard (warnings otherwise).
    #[arg(long, requires = "hazards")]
    pub deny_hazards: bool,
    /// With --hazards: report hazards only in files newer than this version (production has
    /// applied the rest; they are still read to know the chain).
    #[arg(long, requires = "hazards", value_name = "VERSION")]
    pub since: Option<String>,
}

/// Loads env files, parses `args` and runs the command; returns the process exit code.
pub async fn main_with_args(args: Vec<OsString>) -> u8 {
    if let Err(message) = env_file::load(&env_file::env_files(&args)) {
        eprintln!("Error: {message}");
        return EXIT_ENV_FILE;
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    run(cli).await
}

/// An error with its causes, each cause once (many messages already quote their cause), and
/// any password in a URL redacted.
fn error_text(error: &anyhow::Error) -> String {
    crate::report::redact_text(&crate::report::with_causes(error.as_ref()))
}

/// Runs a parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    // Nothing is applied from a directory an interrupted swap left (before any connection).
    if cli.command.applies_migrations() {
        for dir in &cli.migrations_dir {
            match crate::migration::interrupted(dir) {
                Ok(None) => {}
                Ok(Some(found)) => {
                    eprintln!("Error: {}", found.explain(dir));
                    return EXIT_ERROR;
                }
                Err(e) => {
                    eprintln!("Error: reading {}: {e}", dir.display());
                    return EXIT_ERROR;
                }
            }
        }
    }
    if cli.wait && cli.targets.is_none() && cli.command.works_on_the_database() {
        if let Err(error) = admin::wait(&cli).await {
            eprintln!("Error: {}", error_text(&error));
            return EXIT_ERROR;
        }
    }
    let result = match &cli.command {
        Command::Up { format } | Command::Migrate { format } | Command::Status { format, .. } if cli.targets.is_some() => {
            fleet::run(&cli, *format).await
        }
        Command::Drift { compare, .. } if cli.targets.is_some() => fleet::run(&cli, compare.format).await,
        Command::RunScript { script, format } => fleet::run_script(&cli, script, *format).await,
        Command::Backups { action } => backups::run(&cli, action).await,
        Command::Check { format } => check::run(&cli, *format).await,
        Command::FleetReport { files, format } => fleet::report(files, *format),
        Command::New { name } => new::run(&cli.migrations_dir, name),
        Command::Plan(args) => plan::run(&cli, args).await,
        Command::Pg { action: PgAction::Install { majors, offline } } => pg::install(majors, *offline).await,
        Command::Pg { action: PgAction::List { format } } => pg::list(format.format),
        Command::Up { .. } => migrate::run(&cli, true).await,
        Command::Migrate { .. } => migrate::run(&cli, false).await,
        Command::Create => admin::create(&cli).await,
        Command::Drop => admin::drop(&cli).await,
        Command::Wait => admin::wait(&cli).await,
        Command::Rollback { steps, to } => rollback::run(&cli, *steps, to.clone()).await,
        Command::Status { exit_code, quiet, .. } => status::run(&cli, *exit_code || *quiet, *quiet).await,
        Command::Dump { extra } => schema_file::dump(&cli, extra).await,
        Command::Load => schema_file::load(&cli).await,
        Command::Lint(args) => lint::run(&cli.migrations_dir, args),
        Command::Audit { src, plan, format } => squash::audit(src, plan, format.format),
        Command::Squash { init, plan, .. } if *init => squash::init(plan),
        Command::Squash { resume, abandon, plan, .. } if *resume || *abandon => squash::finish_interrupted(&cli, plan, *resume),
        Command::Squash { format: Format::Github, .. } => Err(anyhow::anyhow!(
            "squash reports as text, json or markdown (--format text|json|markdown); github annotations are for findings in files"
        )),
        Command::Squash { plan, date, dbmate, format, server, force_retire, through, sample_from, .. } => {
            async {
                let options = crate::squash::SquashOptions {
                    plan: plan.clone(),
                    server: squash::server_for(&cli, &server.options_with_own_setup()?).await,
                    date: date.clone(),
                    dbmate: dbmate.clone(),
                    force_retire: force_retire.clone(),
                    through: through.clone(),
                    ledger_table: cli.migrations_table.clone(),
                    sample_from: sample_from.as_deref().map(crate::ledger::DatabaseUrl::parse).transpose()?,
                };
                if cli.targets.is_some() {
                    fleet::check_squash(&cli, &options).await?;
                }
                squash::run(&options, *format).await
            }
            .await
        }
        Command::Hash { check, sum_file, format } => hash::run(&cli.migrations_dir, sum_file.as_deref(), *check, format.format),
        Command::Gate { base, head, allow_out_of_order, sum_file, format } => gate::run(&gate::GateArgs {
            dirs: &cli.migrations_dir,
            sum_file: sum_file.as_deref(),
            base,
            head,
            allow_out_of_order: *allow_out_of_order,
            format: format.format,
        }),
        Command::Diff { left, right, compare, server } => {
            let introspect = crate::catalog::IntrospectOptions { privileges: compare.privileges, ..Default::default() };
            async { diff::run(left, right, &compare.ignore, compare.format, introspect, &server.options()?).await }.await
        }
        Command::Drift { compare, server } => {
            let ignore = if compare.ignore.is_empty() { vec![crate::catalog::Class::Cosmetic] } else { compare.ignore.clone() };
            async { drift::run(&cli, &ignore, compare.format, compare.privileges, &server.options()?).await }.await
        }
        Command::Replay { format, server, check_down, allow_empty_down, trace } => {
            let mode = if *check_down {
                replay::Mode::CheckDown { allow_empty: *allow_empty_down }
            } else if *trace {
                replay::Mode::Trace
            } else {
                replay::Mode::Apply
            };
            async { replay::run(&cli.migrations_dir, format.format, &server.options()?, mode).await }.await
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("Error: {}", error_text(&error));
            EXIT_ERROR
        }
    }
}
