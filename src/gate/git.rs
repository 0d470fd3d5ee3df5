//! What the gate reads from git, in few processes: the trees of two revisions below the
//! migrations directories, the blobs that matter (one `cat-file --batch`), and the commits in
//! between with the paths each one touched.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use thiserror::Error;

/// A git command failed.
#[derive(Debug, Error)]
pub enum GitError {
    /// Not inside a repository, or git missing.
    #[error("not a git repository (or git is not installed): {0}")]
    NoRepository(String),
    /// A revision is not in this clone.
    #[error("{what} `{rev}` is not in this clone{shallow}; run `{fetch}` (in GitHub Actions: actions/checkout with fetch-depth: 0)")]
    MissingRevision {
        /// Which revision (base or head).
        what: &'static str,
        /// As given.
        rev: String,
        /// Whether the clone is shallow, as text.
        shallow: &'static str,
        /// The command that brings it in.
        fetch: String,
    },
    /// Any other git failure.
    #[error("git {args}: {message}")]
    Failed {
        /// The arguments.
        args: String,
        /// git's error output.
        message: String,
    },
}

/// A file in a tree: its path from the repository root and its blob id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path from the repository root.
    pub path: String,
    /// Blob id.
    pub blob: String,
}

/// A commit in the range, newest first (topological order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Its id.
    pub sha: String,
    /// Its full message.
    pub message: String,
    /// Paths (from the root) it changed below the migrations directories.
    pub paths: Vec<String>,
}

/// A repository, reached through the `git` command.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    /// The repository containing `dir`.
    pub fn containing(dir: &Path) -> Result<Self, GitError> {
        let out = Command::new("git")
            .args(["rev-parse", "--show-toplevel"])
            .current_dir(dir)
            .output()
            .map_err(|e| GitError::NoRepository(e.to_string()))?;
        if !out.status.success() {
            return Err(GitError::NoRepository(String::from_utf8_lossy(&out.stderr).trim().to_string()));
        }
        Ok(Repo { root: PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()) })
    }

    /// The repository's top directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn git(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.root)
            .output()
            .map_err(|e| GitError::Failed { args: args.join(" "), message: e.to_string() })?;
        if !out.status.success() {
            return Err(GitError::Failed { args: args.join(" "), message: String::from_utf8_lossy(&out.stderr).trim().to_string() });
        }
        Ok(out.stdout)
    }

    /// The commit id of `rev`, or an error saying which fetch brings it in.
    pub fn commit_id(&self, rev: &str, what: &'static str) -> Result<String, GitError> {
        match self.git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]) {
            Ok(out) => Ok(String::from_utf8_lossy(&out).trim().to_string()),
            Err(_) => {
                let shallow = self.git(&["rev-parse", "--is-shallow-repository"]).map(|o| o.starts_with(b"true")).unwrap_or(false);
                let remote_ref = rev.strip_prefix("origin/").unwrap_or(rev);
                let fetch = if shallow {
                    format!("git fetch --no-tags --unshallow origin {remote_ref}")
                } else {
                    format!("git fetch --no-tags origin {remote_ref}")
                };
                Err(GitError::MissingRevision {
                    what,
                    rev: rev.to_string(),
                    shallow: if shallow { " (a shallow clone)" } else { "" },
                    fetch,
                })
            }
        }
    }

    /// Whether `ancestor`'s history is complete enough to reach `descendant` (false in a shallow clone cut between them).
    pub fn connected(&self, ancestor: &str, descendant: &str) -> bool {
        self.git(&["merge-base", ancestor, descendant]).is_ok()
    }

    /// Files matched by `pathspecs` at `rev` (`dir/` lists a directory's files, not recursively).
    pub fn tree(&self, rev: &str, pathspecs: &[String]) -> Result<Vec<TreeEntry>, GitError> {
        let mut args = vec!["ls-tree", "-z", rev, "--"];
        args.extend(pathspecs.iter().map(String::as_str));
        let out = self.git(&args)?;
        Ok(out
            .split(|b| *b == 0)
            .filter_map(|record| {
                let record = std::str::from_utf8(record).ok()?;
                let (meta, path) = record.split_once('\t')?;
                let mut meta = meta.split(' ');
                let (_mode, kind, blob) = (meta.next()?, meta.next()?, meta.next()?);
                (kind == "blob").then(|| TreeEntry { path: path.to_string(), blob: blob.to_string() })
            })
            .collect())
    }

    /// The contents of `blobs`, read through one `git cat-file --batch`.
    pub fn blobs(&self, blobs: &[String]) -> Result<HashMap<String, Vec<u8>>, GitError> {
        let mut child = Command::new("git")
            .args(["cat-file", "--batch"])
            .current_dir(&self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| GitError::Failed { args: "cat-file --batch".into(), message: e.to_string() })?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let request: String = blobs.iter().map(|b| format!("{b}\n")).collect();
        let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
        let mut output = Vec::new();
        child
            .stdout
            .take()
            .expect("piped stdout")
            .read_to_end(&mut output)
            .map_err(|e| GitError::Failed { args: "cat-file --batch".into(), message: e.to_string() })?;
        let _ = writer.join();
        let _ = child.wait();
        let mut found = HashMap::new();
        let mut rest = output.as_slice();
        while let Some(newline) = rest.iter().position(|b| *b == b'\n') {
            let header = String::from_utf8_lossy(&rest[..newline]).into_owned();
            rest = &rest[newline + 1..];
            let mut parts = header.split(' ');
            let (Some(id), Some(_kind), Some(size)) = (parts.next(), parts.next(), parts.next().and_then(|s| s.parse::<usize>().ok()))
            else {
                continue;
            };
            found.insert(id.to_string(), rest[..size].to_vec());
            rest = &rest[(size + 1).min(rest.len())..];
        }
        Ok(found)
    }

    /// Commits in `base..head`, newest first, with their messages only (cheap: no diffs).
    pub fn commit_messages(&self, base: &str, head: &str) -> Result<Vec<Commit>, GitError> {
        self.log(&["--topo-order", "-z", "--format=%x1e%H%x1f%B%x1f", &format!("{base}..{head}")])
    }

    /// Commits in `base..head` touching `pathspecs`, newest first, with the paths they changed there.
    pub fn commits(&self, base: &str, head: &str, pathspecs: &[String]) -> Result<Vec<Commit>, GitError> {
        let range = format!("{base}..{head}");
        let mut args = vec!["--topo-order", "-z", "--name-only", "--no-renames", "--format=%x1e%H%x1f%B%x1f", &range, "--"];
        args.extend(pathspecs.iter().map(String::as_str));
        self.log(&args)
    }

    fn log(&self, args: &[&str]) -> Result<Vec<Commit>, GitError> {
        let mut args = args.to_vec();
        args.insert(0, "log");
        let out = self.git(&args)?;
        let text = String::from_utf8_lossy(&out);
        Ok(text
            .split('\u{1e}')
            .filter(|r| !r.trim_matches(['\0', '\n']).is_empty())
            .filter_map(|record| {
                let mut parts = record.splitn(3, '\u{1f}');
                let sha = parts.next()?.trim().to_string();
                let message = parts.next()?.to_string();
                let paths = parts.next().unwrap_or("").split(['\0', '\n']).filter(|p| !p.is_empty()).map(String::from).collect();
                Some(Commit { sha, message, paths })
            })
            .collect())
    }
}
