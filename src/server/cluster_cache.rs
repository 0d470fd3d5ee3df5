//! A pristine `initdb`'d cluster per PostgreSQL version, kept in the user's cache directory and
//! copied for each new server, so starting a server costs a copy instead of an `initdb`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use walkdir::WalkDir;

use super::ServerError;
use super::binaries::PgBinaries;
use super::owner::ServerOwner;

/// Bump when the `initdb` options change, so old cached clusters are not reused. (1 MB WAL
/// segments: a new server copies one small segment, not 16 MB.)
const LAYOUT: u32 = 2;

/// The cache directory for clusters (`$XDG_CACHE_HOME/squashmate/clusters` or the OS's).
pub fn cache_root() -> PathBuf {
    std::env::var_os("SQUASHMATE_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("squashmate")))
        .unwrap_or_else(|| std::env::temp_dir().join("squashmate-cache"))
        .join("clusters")
}

/// Fills `data_dir` (empty, owned by the server user) with a fresh cluster; `scratch` is a
/// directory the server user may write to. Returns whether the cache was warm.
pub fn provide_cluster(
    bins: &PgBinaries,
    owner: &ServerOwner,
    data_dir: &Path,
    scratch: &Path,
    use_cache: bool,
) -> Result<bool, ServerError> {
    let cached = cache_root().join(format!("pg{}-uid{}-v{LAYOUT}", bins.version, owner.uid()));
    let warm = use_cache && cached.join("PG_VERSION").is_file();
    if !warm {
        let fresh = scratch.join("initdb");
        run_initdb(bins, owner, &fresh, scratch)?;
        if use_cache {
            store(&fresh, &cached);
        }
        copy_tree(&fresh, data_dir)?;
    } else {
        copy_tree(&cached, data_dir)?;
    }
    owner.give(data_dir)?;
    Ok(warm)
}

fn run_initdb(bins: &PgBinaries, owner: &ServerOwner, target: &Path, scratch: &Path) -> Result<(), ServerError> {
    let mut cmd = Command::new(bins.program("initdb"));
    cmd.arg("-D")
        .arg(target)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions", "--wal-segsize=1"])
        .current_dir(scratch)
        .stdin(Stdio::null());
    owner.apply(&mut cmd);
    let out = cmd.output().map_err(|e| ServerError::io(&bins.program("initdb"), e))?;
    if !out.status.success() {
        return Err(ServerError::Initdb(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))));
    }
    Ok(())
}

/// Publishes a fresh cluster into the cache atomically; a failure only costs the next start.
fn store(fresh: &Path, cached: &Path) {
    let Some(parent) = cached.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    let Ok(staging) = tempfile::Builder::new().prefix(".staging-").tempdir_in(parent) else { return };
    let staged = staging.path().join("cluster");
    if copy_tree(fresh, &staged).is_ok() {
        let _ = std::fs::rename(&staged, cached);
    }
}

/// Copies a directory tree, keeping permission bits.
fn copy_tree(from: &Path, to: &Path) -> Result<(), ServerError> {
    for entry in WalkDir::new(from) {
        let entry = entry.map_err(|e| ServerError::io(from, e.into()))?;
        let relative = entry.path().strip_prefix(from).expect("walkdir yields paths below its root");
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| ServerError::io(&target, e))?;
            let mode = entry.metadata().map_err(|e| ServerError::io(entry.path(), e.into()))?.permissions();
            std::fs::set_permissions(&target, mode).map_err(|e| ServerError::io(&target, e))?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| ServerError::io(&target, e))?;
        }
    }
    Ok(())
}
