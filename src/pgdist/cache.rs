//! The cache of downloaded installations: one directory per major with a receipt saying what
//! was installed from where. An entry appears whole (unpacked beside it, then renamed into
//! place) or not at all.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::{Artifact, Kind, PgDistError};

/// The receipt's file name inside an installation's directory.
const RECEIPT: &str = "squashmate-install.json";

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
fn entry_name(kind: Kind, major: u32) -> String {
    match kind {
        Kind::NpmServer => major.to_string(),
        Kind::PypiFull => format!("pg_dump-{major}"),
    }
}

fn read_receipt(dir: &Path) -> Option<Installed> {
    let text = std::fs::read_to_string(dir.join(RECEIPT)).ok()?;
    let mut installed: Installed = serde_json::from_str(&text).ok()?;
    installed.bin = dir.join(installed.artifact.kind.bin_dir());
    installed.bin.join("postgres").is_file().then_some(installed)
}

/// Fills a staging directory with `fill`, checks that the result runs, writes the receipt and
/// moves it into place. On any error the staging directory is removed: no half entry remains.
pub fn store(artifact: &Artifact, fill: impl FnOnce(&Path) -> Result<(), PgDistError>) -> Result<Installed, PgDistError> {
    let root = cache_dir();
    create_shared_dir(&root)?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".partial-{}-", artifact.major))
        .tempdir_in(&root)
        .map_err(|e| PgDistError::io(&root, e))?;
    fill(staging.path())?;
    let bin = staging.path().join(artifact.kind.bin_dir());
    let version = postgres_version(&bin, artifact.major)?;
    let installed = Installed { artifact: artifact.clone(), version, installed_at: chrono::Utc::now().to_rfc3339(), bin: PathBuf::new() };
    let receipt = serde_json::to_string_pretty(&installed).expect("a receipt serialises");
    std::fs::write(staging.path().join(RECEIPT), receipt).map_err(|e| PgDistError::io(staging.path(), e))?;
    make_shared(staging.path())?;
    let target = root.join(entry_name(artifact.kind, artifact.major));
    let staged = staging.keep();
    if let Err(error) = std::fs::rename(&staged, &target) {
        let _ = std::fs::remove_dir_all(&staged);
        // Another process may have installed the same entry meanwhile.
        return read_receipt(&target).ok_or_else(|| PgDistError::io(&target, error));
    }
    read_receipt(&target).ok_or_else(|| PgDistError::DoesNotRun { major: artifact.major, reason: "the receipt cannot be read back".into() })
}

/// `postgres --version` of the staged installation, which must be `major`.
fn postgres_version(bin: &Path, major: u32) -> Result<String, PgDistError> {
    let out = Command::new(bin.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|e| PgDistError::DoesNotRun { major, reason: format!("{}: {e}", bin.join("postgres").display()) })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(2).unwrap_or("").to_string();
    if !out.status.success() || !version.starts_with(&format!("{major}")) {
        let said = format!("{}{}", text.trim(), String::from_utf8_lossy(&out.stderr).trim());
        return Err(PgDistError::DoesNotRun { major, reason: format!("`postgres --version` said: {said}") });
    }
    Ok(version)
}

fn create_shared_dir(dir: &Path) -> Result<(), PgDistError> {
    std::fs::create_dir_all(dir).map_err(|e| PgDistError::io(dir, e))?;
    make_shared(dir)
}

/// Readable and traversable by everyone: the server may run as another (unprivileged) user.
fn make_shared(dir: &Path) -> Result<(), PgDistError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).map_err(|e| PgDistError::io(dir, e))
}
