//! The record an atomic rewrite of a migrations directory leaves beside it while it runs
//! (squash, `plan --write`, `new`), and how a later command tells what an interrupted one left:
//! the directory is always exactly its old set of files or its new one, and this says which.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The journal's file inside the staging directory.
pub const JOURNAL_FILE: &str = "journal.json";
/// The new directory's contents inside the staging directory (the old ones after the swap).
pub const NEXT_DIR: &str = "next";

/// What the rewrite set out to do, written once the new set is complete on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Journal {
    /// The command that wrote it (`squash`, `plan --write`, `new`).
    pub operation: String,
    /// The migrations directory rewritten.
    pub directory: PathBuf,
    /// Its files before: name → blake3 of the bytes.
    pub old: BTreeMap<String, String>,
    /// Its files after.
    pub new: BTreeMap<String, String>,
    /// The `migrations.sum` the rewrite replaces, if it replaces one: its path, and the hash
    /// of the new one.
    pub sum: Option<SumSwap>,
}

/// A `migrations.sum` replaced along with the directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SumSwap {
    /// Where it lives.
    pub path: PathBuf,
    /// Whether there was one before.
    pub existed: bool,
    /// blake3 of the new one.
    pub new_hash: String,
}

/// Where an interrupted rewrite stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interrupted {
    /// Stopped while writing the new set aside: the directory is untouched.
    Staging {
        /// The staging directory.
        staging: PathBuf,
    },
    /// The new set is complete aside and recorded; the directory is the old set or the new.
    Recorded {
        /// The staging directory.
        staging: PathBuf,
        /// What it set out to do.
        journal: Journal,
        /// What the directory holds now.
        directory: Holds,
        /// Whether `migrations.sum` is the new one already.
        sum_replaced: bool,
    },
}

/// What a migrations directory holds, compared with a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// Exactly the old set.
    Old,
    /// Exactly the new set.
    New,
    /// Neither: changed by hand since.
    Neither,
}

/// The staging directory a rewrite of `dir` uses: beside it, on the same filesystem.
pub fn staging_dir(dir: &Path) -> PathBuf {
    let name = dir.file_name().map_or_else(|| "migrations".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!(".{name}.squashmate-swap"))
}

/// The directory a rewrite of `dir` swaps: `dir` itself, or where it points when it is a
/// symbolic link (the link stays a link).
pub fn real_dir(dir: &Path) -> PathBuf {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        _ => dir.to_path_buf(),
    }
}

/// The files of `dir` (recursively, by path relative to it) and the blake3 of each.
pub fn listing(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path()).to_string_lossy().into_owned();
            files.insert(relative, blake3::hash(&std::fs::read(entry.path())?).to_hex().to_string());
        }
    }
    Ok(files)
}

/// What an interrupted rewrite of `dir` left, if one did.
pub fn interrupted(dir: &Path) -> std::io::Result<Option<Interrupted>> {
    let dir = &real_dir(dir);
    let staging = staging_dir(dir);
    if !staging.exists() {
        return Ok(None);
    }
    let journal_path = staging.join(JOURNAL_FILE);
    let Ok(text) = std::fs::read_to_string(&journal_path) else { return Ok(Some(Interrupted::Staging { staging })) };
    let journal: Journal = serde_json::from_str(&text).map_err(std::io::Error::other)?;
    let now = if dir.exists() { listing(dir)? } else { BTreeMap::new() };
    let directory = if now == journal.new {
        Holds::New
    } else if now == journal.old {
        Holds::Old
    } else {
        Holds::Neither
    };
    let sum_replaced = journal
        .sum
        .as_ref()
        .is_none_or(|sum| std::fs::read(&sum.path).is_ok_and(|bytes| blake3::hash(&bytes).to_hex().to_string() == sum.new_hash));
    Ok(Some(Interrupted::Recorded { staging, journal, directory, sum_replaced }))
}

impl Interrupted {
    /// What happened and what to do, for any command that finds it.
    pub fn explain(&self, dir: &Path) -> String {
        match self {
            Interrupted::Staging { staging } => format!(
                "{}: a squash, `plan --write` or `new` was interrupted while writing its new files aside ({}); the directory is \
                 untouched. Run `squashmate squash --abandon` to remove what it left, then run the command again",
                dir.display(),
                staging.display()
            ),
            Interrupted::Recorded { journal, directory, sum_replaced, staging } => {
                let state = match (directory, sum_replaced) {
                    (Holds::Old, _) => "the directory still holds the old set of files".to_string(),
                    (Holds::New, true) => "the directory holds the new set, its migrations.sum too; only the clean-up is left".to_string(),
                    (Holds::New, false) => "the directory holds the new set, but migrations.sum is still the old one".to_string(),
                    (Holds::Neither, _) => "the directory holds neither set: it was changed since".to_string(),
                };
                let next = match directory {
                    Holds::Neither => format!(
                        "compare it with {} (the other set) by hand; squashmate changes nothing here",
                        staging.join(NEXT_DIR).display()
                    ),
                    _ => "run `squashmate squash --resume` to finish it or `squashmate squash --abandon` to undo it".to_string(),
                };
                format!("{}: `{}` was interrupted: {state}; {next}", dir.display(), journal.operation)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staging_directory_is_a_hidden_sibling() {
        assert_eq!(staging_dir(Path::new("db/migrations")), PathBuf::from("db/.migrations.squashmate-swap"));
        assert_eq!(staging_dir(Path::new("migrations")), PathBuf::from(".migrations.squashmate-swap"));
    }
}
