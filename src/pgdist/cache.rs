//! The cache of downloaded installations: one directory per major with a receipt saying what
//! was installed from where (filled by `store`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Artifact, Kind};

/// The receipt's file name inside an installation's directory.
pub(super) const RECEIPT: &str = "squashmate-install.json";

/// Where installations are kept: `SQUASHMATE_PG_CACHE`, else (as root, so the unprivileged
/// server user can run them) `/var/cache/squashmate/postgresql`, else the user's cache
/// directory's `squashmate/postgresql`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SQUASHMATE_PG_CACHE") {
        return PathBuf::from(dir);
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/cache/squashmate/postgresql");
    }
    dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("squashmate").join("postgresql")
}

/// One installation in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// What was downloaded.
    pub artifact: Artifact,
    /// What `postgres --version` reports, e.g. `16.14`.
    pub version: String,
    /// When it was installed (RFC 3339).
    pub installed_at: String,
    /// The directory with `initdb`, `postgres` (and `pg_dump` when the artifact has it).
    #[serde(skip)]
    pub bin: PathBuf,
}

/// Every complete installation in the cache, by major.
pub fn installed() -> Vec<Installed> {
    let Ok(entries) = std::fs::read_dir(cache_dir()) else { return Vec::new() };
    let mut found: Vec<Installed> = entries.flatten().filter_map(|e| read_receipt(&e.path())).collect();
    found.sort_by_key(|i| i.artifact.major);
    found
}

/// The cached server installation of `major`, if complete.
pub fn installed_major(major: u32) -> Option<Installed> {
    read_receipt(&cache_dir().join(entry_name(Kind::NpmServer, major)))
}

/// An entry's directory name: the major for servers, `pg_dump-<major>` for the full
/// installation used for its `pg_dump`.
pub(super) fn entry_name(kind: Kind, major: u32) -> String {
    match kind {
        Kind::NpmServer => major.to_string(),
        Kind::PypiFull => format!("pg_dump-{major}"),
    }
}

pub(super) fn read_receipt(dir: &Path) -> Option<Installed> {
    let text = std::fs::read_to_string(dir.join(RECEIPT)).ok()?;
    let mut installed: Installed = serde_json::from_str(&text).ok()?;
    installed.bin = dir.join(installed.artifact.kind.bin_dir());
    installed.bin.join("postgres").is_file().then_some(installed)
}
