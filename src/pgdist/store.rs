//! Filling the cache: an entry is unpacked into a staging directory beside it, checked to run,
//! given its receipt and renamed into place — whole or not at all. Only a build that downloads
//! (feature `download`) fills the cache; every build reads it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache::{Installed, RECEIPT, cache_dir, entry_name, read_receipt};
use super::{Artifact, PgDistError};

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
