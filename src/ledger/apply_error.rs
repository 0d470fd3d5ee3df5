//! A migration that failed on the server, with PostgreSQL's message, SQLSTATE and position
//! mapped back to the file's `line:col`.

use std::fmt;

use thiserror::Error;

use super::remedy::Remedy;
use crate::migration::{Direction, LineCol, MigrationFile};

/// Why applying a migration failed.
#[derive(Debug, Error)]
pub enum ApplyError {
    /// A statement failed; the transaction (if any) was rolled back.
    #[error("{0}")]
    Statement(Box<StatementFailure>),
    /// The file has problems `lint` reports; it was not sent to the server.
    #[error("{path}: {count} problem(s) found before applying (first: {first}); run `squashmate lint` and fix them")]
    Invalid {
        /// The file.
        path: String,
        /// How many problems.
        count: usize,
        /// The first problem's message.
        first: String,
    },
    /// Every statement ran, but writing (up) or deleting (down) the file's ledger row failed.
    #[error(
        "{path}: its {way} blocks ran, but the ledger row could not be {done}: {message}\n  = next: {next} (nothing of this run was committed where it ran in a transaction)"
    )]
    Ledger {
        /// The file.
        path: String,
        /// `up` or `down`.
        way: &'static str,
        /// `written` or `deleted`.
        done: &'static str,
        /// PostgreSQL's message.
        message: String,
        /// What to do.
        next: &'static str,
    },
    /// Checks before the file found rows its statements would fail on (or lose); nothing ran.
    #[error("{0}")]
    Checks(Box<crate::checks::Stopped>),
    /// The connection failed outside any statement.
    #[error("{path}: {source}")]
    Connection {
        /// The file being applied.
        path: String,
        /// The client error.
        source: tokio_postgres::Error,
    },
}

impl ApplyError {
    /// The connection failed while `file` was being run, outside any statement.
    pub fn connection(file: &MigrationFile, source: tokio_postgres::Error) -> Self {
        ApplyError::Connection { path: file.path().display().to_string(), source }
    }
}

/// A failed statement, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFailure {
    /// The migration file.
    pub path: String,
    /// Where in it.
    pub location: LineCol,
    /// The text of that line.
    pub line_text: String,
    /// PostgreSQL's SQLSTATE, e.g. `42P07`.
    pub sqlstate: String,
    /// PostgreSQL's message (with its detail and hint, when given).
    pub message: String,
    /// Whether the statement is in an up or a down block.
    pub direction: Direction,
    /// Who must act, and how.
    pub remedy: Remedy,
}

impl fmt::Display for StatementFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LineCol { line, col } = self.location;
        write!(
            f,
            "{}:{line}:{col}: {} (SQLSTATE {})\n    {line} | {}\n  = next: {}",
            self.path,
            self.message,
            self.sqlstate,
            self.line_text,
            self.next()
        )
    }
}

impl StatementFailure {
    /// The `next:` advice: the remedy, and what became of the file.
    pub fn next(&self) -> String {
        self.remedy.next(match self.direction {
            Direction::Up => "nothing of this file was recorded as applied",
            Direction::Down => "the file is still recorded as applied",
        })
    }

    /// Locates a server error for SQL sent as `file.text[sent_from..]` (`None`: text that is not
    /// a slice of the file, whose positions mean nothing here); `fallback` is where to point
    /// when there is no usable position.
    pub fn locate(file: &MigrationFile, error: &tokio_postgres::Error, sent_from: Option<usize>, fallback: usize) -> Self {
        let source = &file.source;
        let (offset, sqlstate, message) = match error.as_db_error() {
            Some(db) => {
                let offset = match (db.position(), sent_from) {
                    (Some(tokio_postgres::error::ErrorPosition::Original(pos)), Some(from)) => source.offset_of_char(from, *pos as usize),
                    _ => fallback,
                };
                let mut message = db.message().to_string();
                if let Some(detail) = db.detail() {
                    message.push_str(&format!(" — {detail}"));
                }
                if let Some(hint) = db.hint() {
                    message.push_str(&format!(" (hint: {hint})"));
                }
                (offset, db.code().code().to_string(), message)
            }
            None => (fallback, String::from("08006"), error.to_string()),
        };
        let location = source.line_col(offset);
        let in_down = file.sections.iter().any(|s| s.down.marker.start <= offset && offset <= s.down.body.end);
        StatementFailure {
            path: source.path().display().to_string(),
            location,
            line_text: source.line_text(location.line).to_string(),
            remedy: Remedy::of(&sqlstate, &message),
            sqlstate,
            message,
            direction: if in_down { Direction::Down } else { Direction::Up },
        }
    }
}
