//! Rewrites a migrations directory (and its `migrations.sum`) so that at every instant it is
//! exactly its old set of files or its new one: the new set is written aside on the same
//! filesystem and flushed, recorded in a journal, then swapped in with one atomic exchange
//! (`renameat2(RENAME_EXCHANGE)`); a run stopped anywhere is finished or undone from the
//! journal ([`resume`], [`abandon`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::journal::{Holds, Interrupted, JOURNAL_FILE, Journal, NEXT_DIR, SumSwap, interrupted, listing, real_dir, staging_dir};

/// The new `migrations.sum` inside the staging directory, until it is moved into place.
const NEXT_SUM: &str = "next.sum";
/// The old `migrations.sum` inside the staging directory (for `--abandon`).
const PREVIOUS_SUM: &str = "previous.sum";

/// Why a rewrite did not happen (the directory is then untouched) or could not be finished.
#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    /// A file could not be read, written or moved.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// An earlier rewrite was interrupted: it must be finished or undone first.
    #[error("{0}")]
    Interrupted(String),
    /// Nothing to resume or abandon.
    #[error("{}: no interrupted squash, `plan --write` or `new` to finish or undo", .0.display())]
    NothingInterrupted(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SwapError + '_ {
    move |source| SwapError::Io { path: path.to_path_buf(), source }
}

/// The new contents of a migrations directory.
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    /// The command doing it, for the journal and messages.
    pub operation: String,
    /// Files to write (name in the directory → text); one already there is replaced.
    pub write: Vec<(String, String)>,
    /// Files to take out (names in the directory).
    pub remove: Vec<String>,
    /// The new `migrations.sum`: its path and text.
    pub sum: Option<(PathBuf, String)>,
}

/// Test-only fault injection: `SQUASHMATE_ABORT_AT=N` aborts the process (no clean-up, as a
/// `kill -9` would) at the Nth step of a rewrite, so tests can stop it anywhere.
struct Steps {
    taken: u32,
    abort_at: Option<u32>,
}

impl Steps {
    fn new() -> Steps {
        Steps { taken: 0, abort_at: std::env::var("SQUASHMATE_ABORT_AT").ok().and_then(|n| n.parse().ok()) }
    }

    fn step(&mut self) {
        self.taken += 1;
        if self.abort_at == Some(self.taken) {
            std::process::abort();
        }
    }
}

/// Applies `rewrite` to `dir` atomically. On any error before the swap, `dir` is untouched and
/// what was written aside is removed.
pub fn rewrite(dir: &Path, rewrite: &Rewrite) -> Result<(), SwapError> {
    if let Some(found) = interrupted(dir).map_err(io(dir))? {
        return Err(SwapError::Interrupted(found.explain(dir)));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let dir = &real_dir(dir);
    let staging = staging_dir(dir);
    let mut steps = Steps::new();
    let journal = match stage(dir, &staging, rewrite, &mut steps) {
        Ok(journal) => journal,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    finish(dir, &staging, &journal, Holds::Old, false, &mut steps)
}

/// Writes the new set, the sums and the journal into `staging`, each flushed to disk; returns
/// the journal.
fn stage(dir: &Path, staging: &Path, rewrite: &Rewrite, steps: &mut Steps) -> Result<Journal, SwapError> {
    let next = staging.join(NEXT_DIR);
    std::fs::create_dir_all(&next).map_err(io(&next))?;
    // The new directory takes the old one's place with its permissions.
    let permissions = std::fs::metadata(dir).map_err(io(dir))?.permissions();
    std::fs::set_permissions(&next, permissions).map_err(io(&next))?;
    let old = listing(dir).map_err(io(dir))?;
    let replaced: Vec<&str> = rewrite.remove.iter().map(String::as_str).chain(rewrite.write.iter().map(|(n, _)| n.as_str())).collect();
    for name in old.keys().filter(|n| !replaced.contains(&n.as_str())) {
        let (from, to) = (dir.join(name), next.join(name));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        // A hard link costs no space; a copy where the filesystem has none.
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(io(&to))?;
        }
        steps.step();
    }
    for (name, text) in &rewrite.write {
        write_synced(&next.join(name), text.as_bytes())?;
        steps.step();
    }
    sync_dir(&next)?;
    let sum = match &rewrite.sum {
        Some((path, text)) => {
            let previous = std::fs::read(path).ok();
            if let Some(bytes) = &previous {
                write_synced(&staging.join(PREVIOUS_SUM), bytes)?;
            }
            write_synced(&staging.join(NEXT_SUM), text.as_bytes())?;
            steps.step();
            Some(SumSwap { path: path.clone(), existed: previous.is_some(), new_hash: blake3::hash(text.as_bytes()).to_hex().to_string() })
        }
        None => None,
    };
    let journal =
        Journal { operation: rewrite.operation.clone(), directory: dir.to_path_buf(), old, new: listing(&next).map_err(io(&next))?, sum };
    let text = serde_json::to_string_pretty(&journal).map_err(|e| SwapError::Io { path: staging.join(JOURNAL_FILE), source: e.into() })?;
    write_synced(&staging.join(JOURNAL_FILE), text.as_bytes())?;
    sync_dir(staging)?;
    steps.step();
    Ok(journal)
}

/// From a recorded journal on, where `dir` holds `directory` (the old or the new set)
/// and the sum is or is not replaced: the swap, the sum, the clean-up.
fn finish(dir: &Path, staging: &Path, journal: &Journal, directory: Holds, sum_replaced: bool, steps: &mut Steps) -> Result<(), SwapError> {
    if directory == Holds::Old {
        exchange(dir, &staging.join(NEXT_DIR))?;
        steps.step();
    }
    if let (Some(sum), false) = (&journal.sum, sum_replaced) {
        std::fs::rename(staging.join(NEXT_SUM), &sum.path).map_err(io(&sum.path))?;
        sync_parent(&sum.path)?;
        steps.step();
    }
    std::fs::remove_dir_all(staging).map_err(io(staging))?;
    sync_parent(staging)
}

/// Finishes an interrupted rewrite of `dir`: afterwards it holds the new set.
pub fn resume(dir: &Path) -> Result<(), SwapError> {
    let dir = &real_dir(dir);
    match interrupted(dir).map_err(io(dir))? {
        None => Err(SwapError::NothingInterrupted(dir.to_path_buf())),
        Some(Interrupted::Staging { .. }) => Err(SwapError::Interrupted(format!(
            "{}: the interrupted run had not finished writing its new files, so there is nothing to finish: run \
             `squashmate squash --abandon`, then the command again",
            dir.display()
        ))),
        Some(found @ Interrupted::Recorded { directory: Holds::Neither, .. }) => Err(SwapError::Interrupted(found.explain(dir))),
        Some(Interrupted::Recorded { staging, journal, directory, sum_replaced }) => {
            finish(dir, &staging, &journal, directory, sum_replaced, &mut Steps::new())
        }
    }
}

/// Undoes an interrupted rewrite of `dir`: afterwards it holds the old set, and its old sum.
pub fn abandon(dir: &Path) -> Result<(), SwapError> {
    let dir = &real_dir(dir);
    match interrupted(dir).map_err(io(dir))? {
        None => Err(SwapError::NothingInterrupted(dir.to_path_buf())),
        Some(Interrupted::Staging { staging }) => {
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
            sync_parent(&staging)
        }
        Some(found @ Interrupted::Recorded { directory: Holds::Neither, .. }) => Err(SwapError::Interrupted(found.explain(dir))),
        Some(Interrupted::Recorded { staging, journal, directory, sum_replaced }) => {
            if let (Some(sum), true) = (&journal.sum, sum_replaced) {
                match sum.existed {
                    // Back through the staging directory, so the old one is never half-written.
                    true => {
                        std::fs::rename(staging.join(PREVIOUS_SUM), &sum.path).map_err(io(&sum.path))?;
                    }
                    false => std::fs::remove_file(&sum.path).map_err(io(&sum.path))?,
                }
                sync_parent(&sum.path)?;
            }
            if directory == Holds::New {
                exchange(dir, &staging.join(NEXT_DIR))?;
            }
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
            sync_parent(&staging)
        }
    }
}

/// Replaces the file at `path` with `bytes` in one step: written and flushed beside it, then
/// renamed over it, so a reader sees the old file or the new one, never half of either.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SwapError> {
    let name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.squashmate-new"));
    let written = write_synced(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path).map_err(io(path)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    sync_parent(path)
}

/// Swaps two directories in one step.
fn exchange(a: &Path, b: &Path) -> Result<(), SwapError> {
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    renameat2(AT_FDCWD, a, AT_FDCWD, b, RenameFlags::RENAME_EXCHANGE)
        .map_err(|e| SwapError::Io { path: a.to_path_buf(), source: e.into() })?;
    sync_parent(a)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SwapError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let mut file = File::create(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<(), SwapError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

fn sync_parent(path: &Path) -> Result<(), SwapError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    sync_dir(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_rewrite_swaps_the_whole_directory_and_its_sum_and_refuses_while_one_is_interrupted() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        for (name, text) in [("1_a.sql", "a"), ("2_b.sql", "b"), ("3_c.sql", "c")] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let sum = root.path().join("migrations.sum");
        std::fs::write(&sum, "old sum").unwrap();
        let change = Rewrite {
            operation: "squash".into(),
            write: vec![("0_baseline.sql".into(), "base".into()), ("3_c.sql".into(), "c2".into())],
            remove: vec!["1_a.sql".into(), "2_b.sql".into()],
            sum: Some((sum.clone(), "new sum".into())),
        };
        rewrite(&dir, &change).unwrap();
        assert_eq!(files(&dir), [("0_baseline.sql".to_string(), "base".to_string()), ("3_c.sql".into(), "c2".into())]);
        assert_eq!(std::fs::read_to_string(&sum).unwrap(), "new sum");
        assert!(!staging_dir(&dir).exists() && interrupted(&dir).unwrap().is_none());

        // Something left aside: nothing is written until it is finished or undone.
        std::fs::create_dir(staging_dir(&dir)).unwrap();
        let refused = rewrite(&dir, &Rewrite { write: vec![("4_d.sql".into(), "d".into())], ..Rewrite::default() });
        assert!(matches!(refused, Err(SwapError::Interrupted(_))), "{refused:?}");
        assert!(matches!(resume(&dir), Err(SwapError::Interrupted(_))), "nothing recorded: nothing to finish");
        abandon(&dir).unwrap();
        assert!(matches!(abandon(&dir), Err(SwapError::NothingInterrupted(_))));
        assert_eq!(files(&dir).len(), 2);
    }

    #[test]
    fn a_linked_directory_is_rewritten_where_it_points_and_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("shared/migrations");
        std::fs::create_dir_all(&real).unwrap();
        std::fs::write(real.join("1_a.sql"), "a").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o750)).unwrap();
        let link = root.path().join("migrations");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        rewrite(&link, &Rewrite { write: vec![("2_b.sql".into(), "b".into())], ..Rewrite::default() }).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert_eq!(files(&real).len(), 2);
        assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o750);
        assert!(!staging_dir(&real).exists() && !staging_dir(&link).exists());
    }

    #[test]
    fn a_file_is_replaced_whole() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("migrations.sum");
        std::fs::write(&path, "old").unwrap();
        write_file(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "nothing left beside it");
    }
}
