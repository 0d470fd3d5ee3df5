//! Fleets: the same command over many databases (tenants, regions, staging) — a targets file,
//! bounded parallelism, each database under the same lock and atomicity rules as alone, one
//! result per database.

mod run;
mod squash_check;
mod targets;

pub use run::{Done, TargetResult, for_each, map_bounded, render_markdown, render_table};
pub use squash_check::{FleetVerdict, TargetLedger, check_fleet};
pub use targets::{FleetTarget, Shard, TargetsError, parse_targets};
