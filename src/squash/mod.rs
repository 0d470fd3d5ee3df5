//! `squash`: a declarative plan turned into a baseline, a production surgery and its rollback,
//! proven equivalent on real PostgreSQL before any migration file is replaced.

mod audit;
mod baseline;
mod data;
mod inspect;
mod plan;
mod report;
mod run;
mod scripts;
mod seed;
mod verify;

pub use audit::{Hit, HitKind, audit, spellings};
pub use baseline::{BaselineFacts, baseline_file, normalise_dump};
pub use inspect::{Details, inspect};
pub use plan::{BackupStyle, ColumnName, Plan, PlanError, STARTER, TableName};
pub use report::{Report, Retired, RetiredColumnEntry, RetiredTableEntry, SampleRows, Timing};
pub use run::{Outcome, SquashError, SquashOptions, audit_names, squash};
pub use scripts::{ScriptInput, rollback, surgery};
pub use verify::Check;
