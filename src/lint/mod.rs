//! `squashmate lint`: every problem in a migrations directory, found without a database.

mod rules;

pub use rules::lint;
