//! `squashmate gate --base REF [--head REF]`: every immutability violation between two
//! revisions, for CI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{EXIT_FINDINGS, EXIT_OK};
use crate::gate::{GateInput, GitError, Repo, SENTINEL, check};
use crate::report::{Format, render};

/// What `gate` is asked.
pub struct GateArgs<'a> {
    /// Migrations directories, as given.
    pub dirs: &'a [PathBuf],
    /// The sum file, if not the default.
    pub sum_file: Option<&'a Path>,
    /// The base revision.
    pub base: &'a str,
    /// The head revision.
    pub head: &'a str,
    /// Allow new migrations older than base's newest.
    pub allow_out_of_order: bool,
    /// Output format.
    pub format: Format,
}

/// Runs the gate in the repository around the current directory.
pub fn run(args: &GateArgs<'_>) -> anyhow::Result<u8> {
    for dir in args.dirs {
        if let Some(found) = crate::migration::interrupted(dir).with_context(|| format!("reading {}", dir.display()))? {
            anyhow::bail!("{}", found.explain(dir));
        }
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let repo = Repo::containing(&cwd)?;
    let relative = |p: &Path| -> anyhow::Result<String> {
        let absolute = std::path::absolute(cwd.join(p))?;
        let root = std::fs::canonicalize(repo.root())?;
        let parent = absolute.parent().and_then(|d| std::fs::canonicalize(d).ok()).unwrap_or_else(|| absolute.clone());
        let full = parent.join(absolute.file_name().unwrap_or_default());
        Ok(full
            .strip_prefix(&root)
            .with_context(|| format!("{} is outside the repository {}", p.display(), root.display()))?
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string())
    };
    let dirs: Vec<String> = args.dirs.iter().map(|d| relative(d)).collect::<anyhow::Result<_>>()?;
    let sum_path = relative(&args.sum_file.map_or_else(|| crate::migration::sum_path(args.dirs), Path::to_path_buf))?;
    let base = repo.commit_id(args.base, "base").map_err(|e| with_sum_hint(e, args))?;
    let head = repo.commit_id(args.head, "head")?;
    if !repo.connected(&base, &head) {
        anyhow::bail!(
            "the history between base {} and head {} is cut off (a shallow clone); run `git fetch --no-tags --unshallow origin` (in GitHub Actions: actions/checkout with fetch-depth: 0)",
            args.base,
            args.head
        );
    }
    let mut pathspecs: Vec<String> = dirs.iter().map(|d| format!("{d}/")).collect();
    pathspecs.push(sum_path.clone());
    let (base_tree, head_tree) = (repo.tree(&base, &pathspecs)?, repo.tree(&head, &pathspecs)?);
    let head_blobs: HashMap<&str, &str> = head_tree.iter().map(|e| (e.path.as_str(), e.blob.as_str())).collect();
    let mut wanted: Vec<String> = head_tree.iter().map(|e| e.blob.clone()).collect();
    wanted.extend(base_tree.iter().filter(|e| head_blobs.get(e.path.as_str()) != Some(&e.blob.as_str())).map(|e| e.blob.clone()));
    wanted.sort();
    wanted.dedup();
    let texts: HashMap<String, String> =
        repo.blobs(&wanted)?.into_iter().map(|(id, bytes)| (id, String::from_utf8_lossy(&bytes).into_owned())).collect();
    // Which paths each commit touched matters only for a squash (rare): read them only then.
    let mut commits = repo.commit_messages(&base, &head)?;
    if commits.iter().any(|c| c.message.contains(SENTINEL)) {
        commits = repo.commits(&base, &head, &pathspecs)?;
    }
    let (migration_base, migration_head): (Vec<_>, Vec<_>) = (
        base_tree.into_iter().filter(|e| e.path != sum_path).collect(),
        head_tree.iter().filter(|e| e.path != sum_path).cloned().collect(),
    );
    let sum_text = head_tree.iter().find(|e| e.path == sum_path).and_then(|e| texts.get(&e.blob)).map(String::as_str);
    let findings = check(&GateInput {
        base: &migration_base,
        head: &migration_head,
        texts: &texts,
        commits: &commits,
        sum: (&sum_path, sum_text),
        allow_out_of_order: args.allow_out_of_order,
    });
    let summary = match findings.len() {
        0 => format!("gate: {} commit(s) in {}..{} keep every applied migration intact", commits.len(), args.base, args.head),
        n => format!("gate: {n} violation(s) in {}..{}", args.base, args.head),
    };
    out!("{}", render(&findings, args.format, &summary));
    Ok(if findings.is_empty() { EXIT_OK } else { EXIT_FINDINGS })
}

/// When base is missing from a shallow clone, say what `hash --check` still proves.
fn with_sum_hint(error: GitError, args: &GateArgs<'_>) -> anyhow::Error {
    let sum = args.sum_file.map_or_else(|| crate::migration::sum_path(args.dirs), Path::to_path_buf);
    anyhow::anyhow!("{error}. Without history, `squashmate hash --check` still verifies {} against the files", sum.display())
}
