//! squashmate: squash, gate, apply and diff PostgreSQL migrations kept in dbmate's format.
//!
//! Layers, each depending only on those below it:
//! - [`cli`]: the command line (clap definitions, output).
//! - [`lint`], [`replay`]: the jobs.
//! - [`apply`], [`server`]: a database to run SQL on, and running migrations on it.
//! - [`migration`], [`report`], [`sql`]: files as dbmate reads them, findings, quoting.
#![warn(missing_docs)]

pub mod apply;
pub mod chaingen;
pub mod cli;
pub mod lint;
pub mod migration;
pub mod replay;
pub mod report;
pub mod server;
pub mod sql;
