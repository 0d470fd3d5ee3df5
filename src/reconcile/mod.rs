//! `plan` (the command) and `reconcile::plan` (for services, to log at boot next to `drift`):
//! the migration that takes a schema (the chain's, by default) to a declared one —
//! ordered, classed, lock-friendly, and proven on a real server before it is written.

mod build;
mod create_sql;
mod model;
mod order;
mod privileges;
mod prove;
mod read_back;
mod rename;
mod render;
mod views;

pub use build::{PlanOptions, plan};
pub use model::{Block, Phase, Plan, Step};
pub use prove::{Proof, ProofInput, prove};
pub use rename::Rename;
pub use render::{PlannedFile, file_text, files, markdown, runnable, sql, text};
