//! One dbmate migration file: its version, sections, statements, checksum and the problems
//! found while reading it.

use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;

use super::checksum::checksum;
use super::sections::{Section, lookalike_markers, parse_sections};
use super::source::SourceText;
use super::statements::split_statements;
use crate::report::Problem;

/// dbmate's filename pattern: the version is every leading digit.
static FILENAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d+).*\.sql$").expect("static regex"));
/// Words of the statements that end a transaction (found anywhere, even in strings: a guess
/// that errs on the safe side).
static ENDS_TRANSACTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(commit|end|rollback|abort|prepare)\b").expect("static regex"));

/// The version dbmate reads from a filename, if dbmate treats the file as a migration.
pub fn version_of(filename: &str) -> Option<&str> {
    FILENAME.captures(filename).and_then(|c| c.get(1)).map(|m| m.as_str())
}

/// A migration file, read and split as dbmate reads it.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// The file's text and path.
    pub source: SourceText,
    /// The file name, e.g. `20240101120000_create_users.sql`.
    pub filename: String,
    /// The leading digits of the file name.
    pub version: String,
    /// The up/down pairs, in file order.
    pub sections: Vec<Section>,
    /// Problems found while reading markers and statements.
    pub problems: Vec<Problem>,
    /// Whether blocks have been split into statements (see [`Self::parse_statements`]).
    pub statements_parsed: bool,
}

impl MigrationFile {
    /// Reads a migration from its text, statements included; `path` must end in a dbmate
    /// migration filename. Returns `None` when the file name is not a migration name.
    pub fn parse(path: impl Into<PathBuf>, text: String) -> Option<Self> {
        let mut file = Self::parse_markers(path, text)?;
        file.parse_statements();
        Some(file)
    }

    /// Reads only the markers and sections (cheap); statements come with [`Self::parse_statements`].
    pub fn parse_markers(path: impl Into<PathBuf>, text: String) -> Option<Self> {
        let path = path.into();
        let filename = path.file_name()?.to_str()?.to_string();
        let version = version_of(&filename)?.to_string();
        let (sections, problems) = parse_sections(&text);
        Some(MigrationFile { source: SourceText::new(path, text), filename, version, sections, problems, statements_parsed: false })
    }

    /// Splits every block into statements with PostgreSQL's parser (once).
    pub fn parse_statements(&mut self) {
        if self.statements_parsed {
            return;
        }
        let text = self.source.text();
        self.problems.extend(lookalike_markers(text, &self.sections));
        for section in &mut self.sections {
            for block in [&mut section.up, &mut section.down] {
                let (statements, statement_problems) = split_statements(text, block.body.clone());
                block.statements = statements;
                let part = block.direction.part();
                self.problems.extend(statement_problems.into_iter().map(|p| p.in_part(part)));
            }
        }
        self.problems.sort_by_key(|p| p.offset);
        self.statements_parsed = true;
    }

    /// Whether every up block runs in a transaction, so the file can be applied as one.
    pub fn up_is_transactional(&self) -> bool {
        self.sections.iter().all(|s| s.up.options.transaction())
    }

    /// Whether an up block might end the transaction it runs in (a `COMMIT` of its own), judged
    /// from the text alone, before any parsing; `false` is certain.
    pub fn up_may_end_its_transaction(&self) -> bool {
        self.sections.iter().any(|s| ENDS_TRANSACTION.is_match(&self.source.text()[s.up.body.clone()]))
    }

    /// blake3 of the normalised text (see [`super::checksum`]).
    pub fn checksum(&self) -> String {
        checksum(self.source.text())
    }

    /// The file's path.
    pub fn path(&self) -> &std::path::Path {
        self.source.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_the_leading_digits() {
        assert_eq!(version_of("20240101_users.sql"), Some("20240101"));
        assert_eq!(version_of("001.sql"), Some("001"));
        assert_eq!(version_of("1a2.sql"), Some("1"));
        assert_eq!(version_of("V1__users.sql"), None);
        assert_eq!(version_of("1_users.SQL"), None);
    }

    #[test]
    fn a_commit_of_its_own_is_seen_before_parsing() {
        let own =
            MigrationFile::parse_markers("1_a.sql", "-- migrate:up\nbegin;\ninsert into t values (1);\ncommit;\n-- migrate:down\n".into())
                .unwrap();
        assert!(own.up_may_end_its_transaction());
        let data =
            MigrationFile::parse_markers("1_a.sql", "-- migrate:up\ninsert into t values ('weekends');\n-- migrate:down\ncommit;\n".into())
                .unwrap();
        assert!(!data.up_may_end_its_transaction());
    }

    #[test]
    fn parses_sections_and_statements() {
        let text = "-- migrate:up\ncreate table t (a int);\ninsert into t values (1);\n-- migrate:down\ndrop table t;\n";
        let file = MigrationFile::parse("db/migrations/1_t.sql", text.to_string()).unwrap();
        assert_eq!(file.version, "1");
        assert!(file.problems.is_empty());
        assert_eq!(file.sections[0].up.statements.len(), 2);
        assert_eq!(file.sections[0].down.statements.len(), 1);
        assert!(file.up_is_transactional());
    }
}
