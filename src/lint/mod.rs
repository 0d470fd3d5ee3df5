//! `squashmate lint`: every problem in a migrations directory, found without a database, and
//! which of them stop a command that runs the files.

mod rules;
mod runnable;

pub use rules::{duplicate_versions, lint};
pub use runnable::{NotRunnable, check_runnable};
