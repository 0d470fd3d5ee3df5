//! Checks before a migration runs: the rows that would make an up statement fail (a NULL for
//! `SET NOT NULL`, a duplicate for `UNIQUE`, an orphan for a foreign key, …) or be lost (a
//! `DROP` of rows), and the checks a file declares — found with bounded read-only queries
//! before anything takes a lock.

mod derive;
mod run;

pub use derive::{
    Check, CheckKind, Defined, NullKeys, Probe, checks, checks_after, constraint_probe, may_have_checks, rows_a_new_check_rejects,
};
pub use run::{COUNT_CAP, CheckOutcome, SAMPLES, Stopped, Verdict, check_before, run_checks, stopping_checks};
