//! The database a dbmate-style command works on: its URL from `--url` or the variable named
//! by `--env`, and connections to it and to its server's `postgres` database.

use anyhow::{Context, anyhow};
use tokio_postgres::Client;

use super::Cli;
use crate::ledger::{ConnectError, DatabaseUrl, MigratorOptions, connect};

/// The target database of a command.
pub struct Target {
    /// Its URL.
    pub url: DatabaseUrl,
}

impl Target {
    /// Reads the URL from the command line or the environment.
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Self> {
        let text = match &cli.url {
            Some(url) => url.clone(),
            None => std::env::var(&cli.env)
                .map_err(|_| anyhow!("invalid url, have you set your --url flag or {} environment variable?", cli.env))?,
        };
        Ok(Target { url: DatabaseUrl::parse(&text)? })
    }

    /// A client for the database itself.
    pub async fn connect(&self) -> Result<Client, ConnectError> {
        connect(&self.url).await
    }

    /// Two clients at once: one to migrate on, one to hold the migration lock.
    pub async fn connect_pair(&self) -> Result<(Client, Client), ConnectError> {
        let (a, b) = tokio::join!(self.connect(), self.connect());
        Ok((a?, b?))
    }

    /// A client for the server's `postgres` database (to create or drop this one).
    pub async fn connect_server(&self) -> anyhow::Result<Client> {
        connect(&self.url.with_database("postgres")).await.map_err(|e| anyhow!(describe(&e)))
    }

    /// Whether the database exists.
    pub async fn exists(&self) -> anyhow::Result<bool> {
        let client = self.connect_server().await?;
        let row = client
            .query_opt("select true from pg_database where datname = $1", &[&self.url.database()])
            .await
            .context("checking whether the database exists")?;
        Ok(row.is_some())
    }

    /// The migrator settings the command line asks for.
    pub fn migrator_options(&self, cli: &Cli) -> MigratorOptions {
        MigratorOptions {
            table: cli.migrations_table.clone(),
            search_path: self.url.search_path(),
            strict: cli.strict,
            lock_timeout: cli.migration_lock_wait(),
            count_rows: cli.verbose,
            stop_on_data_loss: cli.stop_on_data_loss,
        }
    }
}

/// A connection error as one line: PostgreSQL's message and SQLSTATE when it answered.
pub fn describe(error: &ConnectError) -> String {
    match error {
        ConnectError::Postgres(e) => describe_postgres(e),
        other => other.to_string(),
    }
}

/// A PostgreSQL error as dbmate users know it: `message (SQLSTATE)`.
pub fn describe_postgres(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => format!("unable to connect to database: {}", crate::report::with_causes(error)),
    }
}
