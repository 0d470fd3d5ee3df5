//! Finds migration files in one or more directories exactly as dbmate does: top level only,
//! `^(\d+).*\.sql$`, ordered by full file name across all directories.

use std::path::{Path, PathBuf};

use thiserror::Error;
use walkdir::WalkDir;

use super::file::{MigrationFile, version_of};
use crate::report::Diagnostic;

/// A directory could not be read at all.
#[derive(Debug, Error)]
pub enum DiscoverError {
    /// The directory does not exist or is not a directory.
    #[error("migrations directory {} not found; create it or pass the right one with --migrations-dir", .0.display())]
    Missing(PathBuf),
    /// Listing or reading failed.
    #[error("cannot read {}: {source}; check its permissions", path.display())]
    Io {
        /// What was being read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A squash, `plan --write` or `new` was stopped while it swapped the directory: what it
    /// left, and the way to finish or undo it.
    #[error("{0}")]
    Interrupted(String),
}

/// What discovery found: the migrations and the files it had to reject.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Migrations in dbmate's order.
    pub files: Vec<MigrationFile>,
    /// Files that look like migrations but dbmate would skip or could not read.
    pub rejected: Vec<Diagnostic>,
}

/// How much of each file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Markers and sections only (enough to know versions and options).
    Markers,
    /// Also every statement, parsed with PostgreSQL's parser.
    Statements,
}

/// Reads every migration in `dirs`, statements included.
pub fn discover(dirs: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    discover_to(dirs, Depth::Statements)
}

/// Reads every migration in `dirs` to the given depth.
pub fn discover_to(dirs: &[PathBuf], depth: Depth) -> Result<Discovery, DiscoverError> {
    let mut found = Discovery::default();
    for dir in dirs {
        if let Some(found) = super::journal::interrupted(dir).map_err(|source| DiscoverError::Io { path: dir.clone(), source })? {
            return Err(DiscoverError::Interrupted(found.explain(dir)));
        }
        if !dir.is_dir() {
            return Err(DiscoverError::Missing(dir.clone()));
        }
        for entry in WalkDir::new(dir).min_depth(1).max_depth(1).follow_links(true) {
            let entry = entry.map_err(|e| DiscoverError::Io {
                path: e.path().unwrap_or(dir).to_path_buf(),
                source: e.into_io_error().unwrap_or_else(|| std::io::Error::other("filesystem loop")),
            })?;
            if entry.file_type().is_file() {
                read_entry(entry.path(), depth, &mut found)?;
            }
        }
    }
    // Sorted once here, by the cached names (walkdir's sorting re-parses paths per comparison).
    found.files.sort_by(|a, b| a.filename.cmp(&b.filename));
    found.rejected.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn read_entry(path: &Path, depth: Depth, found: &mut Discovery) -> Result<(), DiscoverError> {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(());
    };
    if version_of(&name).is_none() {
        if looks_like_migration(&name) {
            found.rejected.push(
                Diagnostic::for_path(
                    path,
                    "ignored-filename",
                    format!("`{name}` looks like a migration but dbmate ignores it (names must match `^(\\d+).*\\.sql$`)"),
                    "rename it to `<digits>_<name>.sql` (e.g. with `squashmate new`) or move it out of the migrations directory",
                )
                .outside(),
            );
        }
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|source| DiscoverError::Io { path: path.to_path_buf(), source })?;
    match String::from_utf8(bytes) {
        Ok(text) => found.files.extend(match depth {
            Depth::Markers => MigrationFile::parse_markers(path, text),
            Depth::Statements => MigrationFile::parse(path, text),
        }),
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let source = super::SourceText::new(path, lossy);
            found.rejected.push(source.diagnostic(super::Problem::at(
                valid,
                "not-utf8",
                "the file is not valid UTF-8",
                "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
            )));
        }
    }
    Ok(())
}

/// Whether a file dbmate skips was probably meant as a migration (`V1__x.sql`, `1_x.SQL`, `1_x.sql.bak`).
pub fn looks_like_migration(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.ends_with(".sql") || (name.starts_with(|c: char| c.is_ascii_digit()) && lower.contains(".sql"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_directories_in_filename_order_and_rejects_lookalikes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let body = "-- migrate:up\nselect 1;\n-- migrate:down\n";
        std::fs::write(a.path().join("2_b.sql"), body).unwrap();
        std::fs::write(b.path().join("1_a.sql"), body).unwrap();
        std::fs::write(b.path().join("10_c.sql"), body).unwrap();
        std::fs::write(a.path().join("V3__d.sql"), body).unwrap();
        std::fs::write(a.path().join("README.md"), "x").unwrap();
        std::fs::create_dir(a.path().join("99_dir.sql")).unwrap();
        let found = discover(&[a.path().to_path_buf(), b.path().to_path_buf()]).unwrap();
        let names: Vec<_> = found.files.iter().map(|f| f.filename.as_str()).collect();
        assert_eq!(names, ["10_c.sql", "1_a.sql", "2_b.sql"]);
        assert_eq!(found.rejected.len(), 1);
        assert_eq!(found.rejected[0].code, "ignored-filename");
    }
}
