//! `diff` and `drift`: two schemas compared, whatever they come from, and a live database
//! compared with its own migrations.

mod check;
mod source;

pub use check::{DriftReport, LedgerProblem, drift, explain};
pub use source::{Reader, Side, SourceError};
