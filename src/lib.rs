//! squashmate: squash, gate, apply and diff PostgreSQL migrations kept in dbmate's format.
//!
//! Layers, top first; a module uses only modules of layers below its own (the `layers` test
//! reads this list and every `crate::` path in the code):
//! - [`cli`]: the command line (clap definitions, output).
//! - [`backups`]: what squashes' surgeries kept in a live database: listed, restored, dropped.
//! - [`squash`], [`drift`], [`reconcile`], [`fleet`], [`gate`], `chaingen`: the jobs.
//! - [`hazards`]: what a statement will lock, rewrite or scan, read from its parse tree.
//! - [`replay`]: a chain applied to a fresh database on an ephemeral server.
//! - [`seed`], [`catalog`]: sample rows in every table; a live schema as a canonical model.
//! - [`server`]: throwaway servers (local, downloaded, Docker, an existing one).
//! - [`dump`]: pg_dump and its post-processing.
//! - [`setup`]: what every throwaway database gets before the chain (roles, extensions, setup SQL).
//! - [`ledger`]: applying migrations to a live database, dbmate's ledger, the migration lock.
//! - [`lint`]: every problem in migration files, before anything runs.
//! - [`checks`]: the rows a migration would fail on or lose, found before it runs.
//! - [`migration`]: files as dbmate reads them.
//! - [`report`], [`baseline`], [`pgdist`], [`sql`], [`progress`]: findings and errors as people
//!   read them; what a baseline replaced; PostgreSQL installations of every major; quoting; how
//!   far long work has got.
//!
//! Features: without the defaults the crate is what a service embeds (`ledger::Migrator` and
//! the modules that need no throwaway server); `tools` adds `server`, `dump`, `setup`, `replay`,
//! `squash`, `backups`, `drift`, `reconcile` and `pgdist`; `tls` connects with TLS; `cli` is the command.
#![warn(missing_docs)]

#[cfg(feature = "tools")]
pub mod backups;
pub mod baseline;
pub mod catalog;
#[cfg(feature = "chaingen")]
pub mod chaingen;
pub mod checks;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "tools")]
pub mod drift;
#[cfg(feature = "tools")]
pub mod dump;
pub mod fleet;
pub mod gate;
pub mod hazards;
pub mod ledger;
pub mod lint;
pub mod migration;
#[cfg(feature = "tools")]
pub mod pgdist;
pub mod progress;
#[cfg(feature = "tools")]
pub mod reconcile;
#[cfg(feature = "tools")]
pub mod replay;
pub mod report;
pub mod seed;
#[cfg(feature = "tools")]
pub mod server;
#[cfg(feature = "tools")]
pub mod setup;
pub mod sql;
#[cfg(feature = "tools")]
pub mod squash;

#[cfg(test)]
mod layers;
