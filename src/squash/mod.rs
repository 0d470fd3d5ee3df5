//! `squash`: a declarative plan turned into a baseline, a production surgery and its rollback,
//! proven equivalent on real PostgreSQL before any migration file is replaced.
//!
//! The pipeline ([`squash`], in `run.rs`), all on one ephemeral server: lint the files while the
//! server starts; replay the chain (`replayed`); inspect the retired objects and write the
//! scripts (`scripts.rs`); then side by side: the replayed chain gets the surgery, its clock
//! values pinned and is dumped into the baseline (`data.rs`, `baseline.rs`), while a copy of it
//! gets sample rows (`seeded_chain`, `crate::seed`), a copy of that the surgery (`surgered`),
//! and the seeded chain itself the surgery and the rollback (`rolled_back`); `fresh_baseline`
//! is a fresh `up` of the baseline (and the real dbmate builds another); `verify.rs` compares
//! them; `report.rs` says what happened. Files change only when every check passed.

mod audit;
mod baseline;
mod behaviour;
mod data;
mod dumped;
mod graph;
mod inspect;
mod links;
mod plan;
mod record;
mod report;
mod retired;
mod roles;
mod routine_uses;
mod run;
mod scripts;
mod setup_change;
mod verify;

pub use audit::{Hit, HitKind, audit, spellings};
pub use baseline::{BaselineFacts, baseline_file, normalise_dump};
pub use behaviour::{UserWorkload, backups_inert, same_behaviour, user_statements};
pub use inspect::{Details, OutgoingKey, RetiredTable, TableTrigger, inspect};
pub use plan::{BackupStyle, ColumnName, LockPolicy, Plan, PlanError, STARTER, TableName};
pub use record::{RECORD_IN_SCHEMA, RECORD_MARK};
pub use report::{BaselineRoles, ChainRows, Report, SampleRows, Timing};
pub use retired::{Retired, RetiredColumnEntry, RetiredTableEntry, RetiredViewEntry};
pub use roles::ChainRole;
pub use routine_uses::{Routine, Use, routine_uses};
pub use run::{BORROWED_PER_TABLE, Outcome, SquashError, SquashOptions, audit_names, squash};
pub use scripts::{ALREADY_DONE_SQLSTATE, ScriptInput, lock_up_front, rollback, squashed_sql, surgery};
pub use verify::{Check, CheckId};
