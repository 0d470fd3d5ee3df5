//! The command line: clap definitions, one file per command, exit codes 0 ok / 1 findings / 2 error.

mod lint;
mod new;
mod replay;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::Format;
use crate::server::ServerOptions;

/// Exit code: success, nothing found.
pub const EXIT_OK: u8 = 0;
/// Exit code: the command ran and found problems.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: the command could not do its job.
pub const EXIT_ERROR: u8 = 2;

/// squashmate: squash, gate, apply and diff PostgreSQL migrations kept in dbmate's format.
#[derive(Debug, Parser)]
#[command(name = "squashmate", version, about, propagate_version = true)]
pub struct Cli {
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

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every migration file without touching a database; report every problem.
    Lint(FormatArgs),
    /// Create a new migration file `YYYYMMDDHHMMSS_NAME.sql` from dbmate's template.
    New {
        /// What the migration does, e.g. `create_users`.
        name: String,
    },
    /// Apply the whole chain to a fresh database on an ephemeral server, timing each file.
    Replay {
        /// Output format for a failure.
        #[command(flatten)]
        format: FormatArgs,
        /// Which server to replay on.
        #[command(flatten)]
        server: ServerOptions,
    },
}

/// `--format` for commands that report findings.
#[derive(Debug, Clone, clap::Args)]
pub struct FormatArgs {
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Command::Lint(args) => lint::run(&cli.migrations_dir, args.format),
        Command::New { name } => new::run(&cli.migrations_dir, &name),
        Command::Replay { format, server } => replay::run(&cli.migrations_dir, format.format, &server).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("Error: {error:#}");
            EXIT_ERROR
        }
    }
}
