//! `replay --check-down`: every file's down block, proven on the ephemeral server — apply the
//! up, run the down, compare the schema with the one before the up, apply the up again. Each
//! file gets one outcome: restores, irreversible by design (a down that only refuses, or one
//! marked `squashmate:irreversible`), empty, fails (at the statement that failed), incomplete.

use super::ReplayError;
use crate::catalog::{Class, IntrospectOptions, diff, introspect};
use crate::ledger::{ApplyError, FileOptions, LedgerTable, Remedy, Way, run_file};
use crate::migration::{LineCol, MigrationFile};
use crate::progress::{Progress, Within};
use crate::server::{EphemeralServer, ServerError};
use crate::setup::Setup;

/// The comment that says a down block is meant not to undo its up.
pub const IRREVERSIBLE_MARK: &str = "squashmate:irreversible";

/// What checking one file's down block found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum DownOutcome {
    /// The down ran and the schema is as before the up.
    Restores,
    /// The down refuses on purpose: its first statement raises, or it is marked
    /// `squashmate:irreversible`.
    Irreversible {
        /// What it says (the exception's message, or the mark).
        why: String,
    },
    /// The down block holds no statement.
    Empty,
    /// The down (or its ledger row) fails; the database stays as the up made it.
    Fails {
        /// The failure, with PostgreSQL's message.
        message: String,
        /// The failing statement, where it is known.
        location: Option<LineCol>,
        /// The fix, where it is not the down block's statement (a missing extension, the ledger).
        next: Option<String>,
    },
    /// The down ran but left these differences from the schema before the up.
    Incomplete {
        /// One line per difference.
        left: Vec<String>,
    },
    /// The up block itself fails: the check cannot go on past this file.
    UpFails {
        /// The failure.
        message: String,
        /// The failing statement, where it is known.
        location: Option<LineCol>,
        /// The fix, where it is not the up block's statement.
        next: Option<String>,
    },
}

/// One file's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DownResult {
    /// The file.
    pub file: String,
    /// What its down did.
    #[serde(flatten)]
    pub outcome: DownOutcome,
}

/// Checks the down block of every one of `files`, in order, on a fresh database of `server`;
/// `progress` hears of each file as it begins. Stops early only when an up
/// block itself fails (the chain cannot go on): the results then end with that file. After a
/// down that left something behind, the chain is replayed afresh up to that file.
pub async fn check_down(
    server: &EphemeralServer,
    setup: &Setup,
    files: &[MigrationFile],
    progress: &dyn Progress,
) -> Result<Vec<DownResult>, ReplayError> {
    let ledger = LedgerTable::default();
    let (_, mut client, _) = super::prepared_database(server, setup, &super::role_uses(files)).await?;
    client.batch_execute(&ledger.create_sql()).await.map_err(ServerError::from)?;
    let options = IntrospectOptions { ledger_table: ledger.table.clone(), ..IntrospectOptions::default() };
    let mut results = Vec::new();
    progress.begin("check-down", files.len());
    for (index, file) in files.iter().enumerate() {
        progress.step(index + 1, &file.filename);
        let before = introspect(&client, &options).await.map_err(ServerError::from)?;
        let outcome = match run_file(&client, file, &ledger, Way::Up, FileOptions::default()).await {
            Err(e) => {
                let (message, location, next) = located(&e);
                DownOutcome::UpFails { message, location, next }
            }
            Ok(_) => match marked_irreversible(file) {
                Some(why) => DownOutcome::Irreversible { why },
                None if down_is_empty(file) => DownOutcome::Empty,
                None => match run_file(&client, file, &ledger, Way::Down, FileOptions::default()).await {
                    // A refused or rolled-back down leaves the database as the up made it.
                    Err(e) => refusal(file, &e).unwrap_or_else(|| {
                        let (message, location, next) = located(&e);
                        DownOutcome::Fails { message, location, next }
                    }),
                    Ok(_) => {
                        let after = introspect(&client, &options).await.map_err(ServerError::from)?;
                        let left: Vec<String> = diff(&before, &after)
                            .into_iter()
                            .filter(|d| d.class != Class::Cosmetic)
                            .map(|d| format!("{}: before the up {}, after the down {}", d.path, d.left, d.right))
                            .collect();
                        if !left.is_empty() {
                            DownOutcome::Incomplete { left }
                        } else if let Err(e) = run_file(&client, file, &ledger, Way::Up, FileOptions::default()).await {
                            let (message, location, next) = located(&e);
                            let message = format!("the up block does not apply again after the down: {message}");
                            DownOutcome::UpFails { message, location, next }
                        } else {
                            DownOutcome::Restores
                        }
                    }
                },
            },
        };
        let stop = matches!(outcome, DownOutcome::UpFails { .. });
        let rebuild = matches!(outcome, DownOutcome::Incomplete { .. });
        let result = DownResult { file: file.path().display().to_string(), outcome };
        results.push(result);
        if stop {
            break;
        }
        if rebuild {
            let rebuilt = super::replay_after(server, setup, &files[..=index], &ledger, &Within::new(progress), |_, _| {}).await?;
            client = server.connect(&rebuilt.database).await?;
        }
    }
    progress.end();
    Ok(results)
}

/// A failed run's message, the failing statement's place where it is known, and the fix
/// where it is not to change that statement.
fn located(error: &ApplyError) -> (String, Option<LineCol>, Option<String>) {
    match error {
        ApplyError::Statement(f) => {
            let next = (f.remedy != Remedy::Migration).then(|| f.next());
            (format!("{} (SQLSTATE {})", f.message, f.sqlstate), Some(f.location), next)
        }
        ApplyError::Ledger { way, done, message, next, .. } => {
            (format!("its {way} blocks ran, but the ledger row could not be {done}: {message}"), None, Some(next.to_string()))
        }
        other => (other.to_string(), None, None),
    }
}

/// A down whose very first statement raises an exception (`RAISE EXCEPTION`, SQLSTATE P0001)
/// refuses on purpose: nothing ran before it.
fn refusal(file: &MigrationFile, error: &ApplyError) -> Option<DownOutcome> {
    let ApplyError::Statement(failure) = error else { return None };
    let first = file.sections.iter().rev().flat_map(|s| s.down.statements.first()).next()?;
    (failure.sqlstate == "P0001" && failure.location.line == file.source.line_col(first.span.start).line)
        .then(|| DownOutcome::Irreversible { why: failure.message.clone() })
}

/// `Some` when a down block says it is irreversible with a `squashmate:irreversible` comment.
fn marked_irreversible(file: &MigrationFile) -> Option<String> {
    file.sections
        .iter()
        .any(|s| file.source.text()[s.down.marker.start..s.down.body.end].contains(IRREVERSIBLE_MARK))
        .then(|| format!("marked `{IRREVERSIBLE_MARK}`"))
}

fn down_is_empty(file: &MigrationFile) -> bool {
    file.sections.iter().all(|s| s.down.statements.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> MigrationFile {
        MigrationFile::parse("1_x.sql", text.to_string()).unwrap()
    }

    #[test]
    fn the_mark_is_read_in_the_down_only() {
        assert!(marked_irreversible(&file("-- migrate:up\nselect 1;\n-- migrate:down\n-- squashmate:irreversible\n")).is_some());
        assert!(marked_irreversible(&file("-- migrate:up\n-- squashmate:irreversible\nselect 1;\n-- migrate:down\n")).is_none());
        assert!(marked_irreversible(&file("-- migrate:up\nselect 1;\n-- migrate:down squashmate:irreversible\n")).is_some());
    }

    #[test]
    fn comments_alone_make_an_empty_down() {
        assert!(down_is_empty(&file("-- migrate:up\nselect 1;\n-- migrate:down\n-- nothing to undo\n")));
        assert!(!down_is_empty(&file("-- migrate:up\nselect 1;\n-- migrate:down\nselect 2;\n")));
    }
}
