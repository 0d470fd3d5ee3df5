//! The gate's rules, as a pure function of what git said: an applied migration is never
//! edited, deleted or renamed to another version; new ones come after every applied one; and
//! the one exception is an honest squash — a `[squash-baseline]` commit whose baseline header
//! names exactly the deleted versions and their chain hash, left untouched afterwards.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::git::{Commit, TreeEntry};
use crate::baseline::BaselineHeader;
use crate::lint::lint;
use crate::migration::{Discovery, MigrationFile, SumMismatch, chain_hash, check_sum, looks_like_migration, same_tokens, version_of};
use crate::report::Diagnostic;

/// The commit-message word that marks a squash.
pub const SENTINEL: &str = "[squash-baseline]";

/// Everything the rules look at.
#[derive(Debug)]
pub struct GateInput<'a> {
    /// Files in the migrations directories at base (paths from the repository root).
    pub base: &'a [TreeEntry],
    /// The same at head.
    pub head: &'a [TreeEntry],
    /// Blob id → text, for every blob the rules need (all of head's, base's changed ones).
    pub texts: &'a HashMap<String, String>,
    /// Commits in base..head, newest first.
    pub commits: &'a [Commit],
    /// The `migrations.sum` path, and its text at head when it exists.
    pub sum: (&'a str, Option<&'a str>),
    /// Allow new migrations older than the newest on base.
    pub allow_out_of_order: bool,
}

fn filename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn violation(path: &str, line: Option<usize>, code: &str, message: String, hint: &str) -> Diagnostic {
    let mut d = Diagnostic::for_path(path, code, message, hint);
    d.location = line.map(|line| crate::migration::LineCol { line, col: 1 });
    d
}

/// The first line where two texts differ (1-based).
fn first_difference(a: &str, b: &str) -> usize {
    let (a, b) = (crate::migration::normalise(a), crate::migration::normalise(b));
    a.lines().zip(b.lines()).position(|(x, y)| x.trim_end() != y.trim_end()).unwrap_or_else(|| a.lines().count().min(b.lines().count())) + 1
}

/// The migration files among `entries`, by path.
fn migrations(entries: &[TreeEntry]) -> BTreeMap<&str, &TreeEntry> {
    entries.iter().filter(|e| version_of(filename(&e.path)).is_some()).map(|e| (e.path.as_str(), e)).collect()
}

/// How the migrations changed from base to head.
struct Changes<'e> {
    /// At head, not at base (rename targets included).
    added: Vec<&'e TreeEntry>,
    /// Added files that are another file renamed (same text).
    rename_targets: BTreeSet<String>,
    /// At base, gone at head, not renamed.
    deleted: Vec<&'e TreeEntry>,
    /// Same path, different tokens: (base, head).
    modified: Vec<(&'e TreeEntry, &'e TreeEntry)>,
}

/// Every violation between base and head.
pub fn check(input: &GateInput<'_>) -> Vec<Diagnostic> {
    let text = |blob: &str| input.texts.get(blob).map(String::as_str).unwrap_or("");
    let base = migrations(input.base);
    let head = migrations(input.head);
    let mut found = Vec::new();
    let changes = changes(&base, &head, &text, &mut found);
    let sentinels: Vec<&Commit> = input.commits.iter().filter(|c| c.message.contains(SENTINEL)).collect();
    let squash = squash_verdict(input.commits, &changes.deleted, &changes.added, &changes.modified, &sentinels, &text);
    let baseline_path = squash.as_ref().ok().map(|b| b.path.clone());
    if let Err(reason) = &squash {
        found.extend(changes.deleted.iter().map(|old| deleted_violation(old, reason.as_deref())));
    }
    for (old, new) in changes.modified.iter().filter(|(_, new)| Some(&new.path) != baseline_path.as_ref()) {
        found.push(modified_violation(old, new, &sentinels, &text));
    }
    found.extend(new_file_violations(input, &base, &head, &changes, baseline_path.as_deref(), &text));
    found.extend(sum_violation(input.sum, &head, &text));
    found.sort_by(|a, b| (&a.path, a.location, &a.code).cmp(&(&b.path, b.location, &b.code)));
    found
}

/// Sorts base's migrations into kept, modified, renamed (a version change is a violation, put
/// into `found`) and deleted.
fn changes<'e, 't>(
    base: &BTreeMap<&str, &'e TreeEntry>,
    head: &BTreeMap<&str, &'e TreeEntry>,
    text: &dyn Fn(&str) -> &'t str,
    found: &mut Vec<Diagnostic>,
) -> Changes<'e> {
    let added: Vec<&TreeEntry> = head.iter().filter(|(p, _)| !base.contains_key(*p)).map(|(_, e)| *e).collect();
    let mut changes = Changes { added, rename_targets: BTreeSet::new(), deleted: Vec::new(), modified: Vec::new() };
    for (path, old) in base {
        match head.get(path) {
            Some(new) if new.blob != old.blob && !same_tokens(text(&old.blob), text(&new.blob)) => changes.modified.push((old, new)),
            Some(_) => {}
            None => {
                let same_text =
                    changes.added.iter().find(|a| !changes.rename_targets.contains(&a.path) && same_tokens(text(&old.blob), text(&a.blob)));
                let Some(target) = same_text else {
                    // Renamed under the same version and edited: it is the same migration, modified.
                    let version = version_of(filename(path));
                    let renamed = changes.added.iter().find(|a| {
                        !changes.rename_targets.contains(&a.path)
                            && version_of(filename(&a.path)) == version
                            && !base.keys().any(|b| b != path && version_of(filename(b)) == version)
                    });
                    match renamed {
                        Some(target) => {
                            changes.rename_targets.insert(target.path.clone());
                            changes.modified.push((old, target));
                        }
                        None => changes.deleted.push(old),
                    }
                    continue;
                };
                changes.rename_targets.insert(target.path.clone());
                let (old_version, new_version) = (version_of(filename(path)), version_of(filename(&target.path)));
                if old_version != new_version {
                    found.push(violation(
                        &target.path,
                        None,
                        "renamed-version",
                        format!(
                            "{path} was renamed to {} and its version changed from {} to {}: databases that applied it will apply it again",
                            filename(&target.path),
                            old_version.unwrap_or(""),
                            new_version.unwrap_or("")
                        ),
                        "keep the version digits when renaming a migration (dbmate allows renaming only then)",
                    ));
                }
            }
        }
    }
    changes
}

fn deleted_violation(old: &TreeEntry, reason: Option<&str>) -> Diagnostic {
    violation(
        &old.path,
        None,
        "deleted",
        format!("applied migration {} was deleted{}", filename(&old.path), reason.map(|r| format!(": {r}")).unwrap_or_default()),
        "restore it; only a squash made by `squashmate squash` and committed with [squash-baseline] may delete migrations",
    )
}

fn modified_violation<'t>(old: &TreeEntry, new: &TreeEntry, sentinels: &[&Commit], text: &dyn Fn(&str) -> &'t str) -> Diagnostic {
    let in_sentinel = sentinels
        .iter()
        .find(|c| c.paths.iter().any(|p| p == &new.path))
        .map(|c| format!(" (in the {SENTINEL} commit {}: a squash must not edit surviving migrations)", short(&c.sha)))
        .unwrap_or_default();
    violation(
        &new.path,
        Some(first_difference(text(&old.blob), text(&new.blob))),
        "modified",
        format!("applied migration {} was modified{in_sentinel}; databases that applied it will not see the change", filename(&new.path)),
        "revert the edit and put the change in a new migration (`squashmate new NAME`)",
    )
}

/// New migrations out of order, and what `lint` refuses in them (duplicate versions involving
/// one, file names dbmate ignores).
fn new_file_violations<'t>(
    input: &GateInput<'_>,
    base: &BTreeMap<&str, &TreeEntry>,
    head: &BTreeMap<&str, &TreeEntry>,
    changes: &Changes<'_>,
    baseline_path: Option<&str>,
    text: &dyn Fn(&str) -> &'t str,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let newest_on_base = base.keys().filter_map(|p| version_of(filename(p))).max();
    let mut new_files = Vec::new();
    for entry in changes.added.iter().filter(|a| !changes.rename_targets.contains(&a.path) && Some(a.path.as_str()) != baseline_path) {
        let version = version_of(filename(&entry.path)).unwrap_or("");
        if let Some(other) = head.keys().find(|p| **p != entry.path && version_of(filename(p)) == Some(version)) {
            // Never passed by --allow-out-of-order: dbmate records a version once.
            found.push(violation(
                &entry.path,
                None,
                "duplicate-version",
                format!(
                    "new migration version {version} is also used by {other}: dbmate records a version once, so one of them never runs"
                ),
                "recreate it with a new version (`squashmate new NAME`)",
            ));
        } else if let Some(newest) = newest_on_base.filter(|n| !input.allow_out_of_order && version <= *n) {
            found.push(violation(
                &entry.path,
                None,
                "out-of-order",
                format!("new migration version {version} is not after {newest}, the newest already on base: databases at base would apply it out of order"),
                "recreate it with a new version (`squashmate new NAME`), or pass --allow-out-of-order if that is intended",
            ));
        }
        new_files.extend(MigrationFile::parse(entry.path.clone(), text(&entry.blob).to_string()));
    }
    let added_paths: BTreeSet<&str> = changes.added.iter().map(|a| a.path.as_str()).collect();
    let mut all_head: Vec<MigrationFile> = head
        .values()
        .filter(|e| !added_paths.contains(e.path.as_str()))
        .filter_map(|e| MigrationFile::parse_markers(e.path.clone(), text(&e.blob).to_string()))
        .collect();
    all_head.extend(new_files);
    all_head.sort_by(|a, b| a.filename.cmp(&b.filename));
    let mut rejected: Vec<Diagnostic> = input
        .head
        .iter()
        .filter(|e| version_of(filename(&e.path)).is_none() && !e.path.ends_with(".sum") && !input.base.iter().any(|b| b.path == e.path))
        .filter(|e| looks_like_migration(filename(&e.path)))
        .map(|e| {
            Diagnostic::for_path(
                &e.path,
                "ignored-filename",
                format!("`{}` looks like a migration but dbmate ignores it", filename(&e.path)),
                "rename it to `<digits>_<name>.sql`",
            )
        })
        .collect();
    rejected.sort_by(|a, b| a.path.cmp(&b.path));
    let linted = lint(&Discovery { files: all_head, rejected });
    // New files' warnings (dbmate runs such files fine) are lint's business, not a violation.
    let reported: BTreeSet<(String, String)> = found.iter().map(|f| (f.path.to_string_lossy().into_owned(), f.code.to_string())).collect();
    found.extend(linted.into_iter().filter(|d| {
        let path = d.path.to_string_lossy();
        !reported.contains(&(path.to_string(), d.code.to_string()))
            && d.is_error()
            && (added_paths.contains(path.as_ref()) || d.code == "ignored-filename")
    }));
    found
}

/// A missing, hand-edited or stale `migrations.sum`.
fn sum_violation<'t>(
    (sum_path, sum_text): (&str, Option<&str>),
    head: &BTreeMap<&str, &TreeEntry>,
    text: &dyn Fn(&str) -> &'t str,
) -> Option<Diagnostic> {
    let mut files: Vec<(&str, &TreeEntry)> = head.values().map(|e| (filename(&e.path), *e)).collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    let ordered: Vec<(String, String)> = files.into_iter().map(|(name, e)| (name.to_string(), text(&e.blob).to_string())).collect();
    match sum_text.map(|s| check_sum(s, &ordered)) {
        None => {
            Some(violation(sum_path, None, "sum-missing", format!("{sum_path} is missing"), "run `squashmate hash` and commit the file"))
        }
        Some(None) => None,
        Some(Some(SumMismatch::Corrupt)) => Some(violation(
            sum_path,
            Some(1),
            "sum-mismatch",
            format!("{sum_path} was edited by hand (its first line does not match)"),
            "run `squashmate hash` and commit the result",
        )),
        Some(Some(SumMismatch::File { filename, line, what })) => Some(violation(
            sum_path,
            Some(line),
            "sum-mismatch",
            format!("{sum_path} does not match the migrations at head: {filename}: {what}"),
            "run `squashmate hash` and commit the result (after making sure the change itself is allowed)",
        )),
    }
}

fn short(sha: &str) -> String {
    sha.chars().take(10).collect()
}

/// A squash the rules accept.
struct Squash {
    path: String,
}

/// Whether base..head holds an honest squash; `Err(Some(reason))` explains why not, `Err(None)`
/// means nothing looks like a squash.
fn squash_verdict<'t>(
    commits: &[Commit],
    deleted: &[&TreeEntry],
    added: &[&TreeEntry],
    modified: &[(&TreeEntry, &TreeEntry)],
    sentinels: &[&Commit],
    text: &dyn Fn(&str) -> &'t str,
) -> Result<Squash, Option<String>> {
    // Each baseline the range adds or rewrites, with the file it rewrote: a re-squash replaces
    // an earlier baseline in place, so that file is squashed too.
    let candidates: Vec<(&TreeEntry, Option<&TreeEntry>)> = added
        .iter()
        .map(|new| (*new, None))
        .chain(modified.iter().map(|(old, new)| (*new, Some(*old))))
        .filter(|(e, _)| BaselineHeader::parse(text(&e.blob)).is_some())
        .collect();
    // Without a deleted file nothing was squashed: a rewritten baseline is then an edit.
    if deleted.is_empty() && candidates.iter().all(|(_, rewritten)| rewritten.is_some()) {
        return Err(None);
    }
    let Some(sentinel) = sentinels.first() else {
        return Err(Some(format!("no commit in the range carries {SENTINEL}")));
    };
    let [(baseline, rewritten)] = candidates.as_slice() else {
        return Err(Some(match candidates.len() {
            0 => "the squash adds no baseline with a squashmate header".to_string(),
            n => format!("the squash adds {n} baselines; there must be exactly one"),
        }));
    };
    let header = BaselineHeader::parse(text(&baseline.blob)).expect("filtered on a header");
    let mut gone: Vec<(&str, &TreeEntry)> =
        deleted.iter().copied().chain(*rewritten).map(|e| (version_of(filename(&e.path)).unwrap_or(""), e)).collect();
    gone.sort_by(|a, b| (filename(&a.1.path)).cmp(filename(&b.1.path)));
    let gone_versions: BTreeSet<&str> = gone.iter().map(|(v, _)| *v).collect();
    let listed: BTreeSet<&str> = header.replaces.iter().map(String::as_str).collect();
    if gone_versions != listed {
        let missing: Vec<&&str> = gone_versions.difference(&listed).collect();
        let extra: Vec<&&str> = listed.difference(&gone_versions).collect();
        return Err(Some(format!(
            "the baseline {} header does not list exactly the deleted versions (deleted but not listed: {missing:?}; listed but not deleted: {extra:?})",
            filename(&baseline.path)
        )));
    }
    let chain: Vec<(String, String)> = gone.iter().map(|(_, e)| (filename(&e.path).to_string(), text(&e.blob).to_string())).collect();
    if chain_hash(&chain) != header.chain_hash {
        return Err(Some(format!(
            "the baseline {} header's replaces-chain does not match the deleted files as they were on base",
            filename(&baseline.path)
        )));
    }
    // The baseline must not change after the squash commit (commits are newest first).
    let sentinel_at = commits.iter().position(|c| c.sha == sentinel.sha).unwrap_or(0);
    if let Some(later) = commits[..sentinel_at].iter().find(|c| c.paths.iter().any(|p| p == &baseline.path)) {
        return Err(Some(format!(
            "the baseline {} was edited again after the squash, in commit {}",
            filename(&baseline.path),
            short(&later.sha)
        )));
    }
    Ok(Squash { path: baseline.path.clone() })
}
