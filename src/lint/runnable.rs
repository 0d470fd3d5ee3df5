//! Which findings stop a command that runs migration files and which it prints and runs past:
//! a command refuses only for errors in the parts of the files it will run — where dbmate
//! would refuse or fail too — never for a down block while applying, nor for a warning.

use thiserror::Error;

use super::rules::lint;
use crate::migration::{Discovery, Way};
use crate::report::{Diagnostic, stopping};

/// Errors in what a command was about to run; nothing was run.
#[derive(Debug, Error)]
#[error(
    "{} problem(s) in the migration files stop this command, nothing was run (0 files applied: every file it would run is checked before any commits); first: {}: {} (next: {}); run `squashmate lint` to see them all",
    .problems.len(),
    .problems[0].place(),
    .problems[0].message,
    .problems[0].hint
)]
pub struct NotRunnable {
    /// The stopping problems, in file order (never empty).
    pub problems: Vec<Diagnostic>,
}

/// Lints `found` for a command that runs its files `way`: the warnings to print, or the
/// errors that stop it.
pub fn check_runnable(found: &Discovery, way: Way) -> Result<Vec<Diagnostic>, NotRunnable> {
    let (problems, warnings) = stopping(lint(found), way);
    if problems.is_empty() { Ok(warnings) } else { Err(NotRunnable { problems }) }
}
