//! squashmate: squash, gate, apply and diff PostgreSQL migrations kept in dbmate's format.
//!
//! Layers, each depending only on those below it:
//! - [`cli`]: the command line (clap definitions, output).
//! - [`squash`], [`lint`], [`replay`], [`gate`], [`drift`], [`fleet`], [`hazards`]: the jobs.
//! - [`catalog`]: a live schema as a canonical model; fingerprints; differences.
//! - [`seed`]: sample rows in every table of a live database (squash's proof, replay's trace).
//! - [`dump`]: pg_dump and its post-processing.
//! - [`ledger`], [`server`]: applying migrations to a live database; throwaway servers.
//! - [`pgdist`]: PostgreSQL installations of every supported major, downloaded and cached.
//! - [`baseline`]: what a squash baseline replaced.
//! - [`migration`], [`report`], [`sql`]: files as dbmate reads them, findings, quoting.
#![warn(missing_docs)]

pub mod baseline;
pub mod catalog;
#[cfg(feature = "chaingen")]
pub mod chaingen;
#[cfg(feature = "cli")]
pub mod cli;
pub mod drift;
pub mod dump;
pub mod fleet;
pub mod gate;
pub mod hazards;
pub mod ledger;
pub mod lint;
pub mod migration;
pub mod pgdist;
pub mod replay;
pub mod report;
pub mod seed;
pub mod server;
pub mod sql;
pub mod squash;
