//! Applying migration files to a database exactly as `up` does, one file as one unit.

mod error;
mod ledger_table;
mod unit;

pub use error::{ApplyError, StatementFailure};
pub use ledger_table::LedgerTable;
pub use unit::apply_file;
