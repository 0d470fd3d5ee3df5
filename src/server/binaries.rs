//! Finds a PostgreSQL installation's binaries (`initdb`, `postgres`, `pg_dump`): `--pg-bin`,
//! `PATH`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin`; newest major first unless a
//! version is asked for. Pairs a server with a `pg_dump` that can dump it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ServerError;

/// A directory holding one PostgreSQL version's server binaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    /// The directory with `initdb`, `postgres` and `pg_dump`.
    pub dir: PathBuf,
    /// The version `postgres --version` reports, e.g. `15.18`.
    pub version: String,
    /// Its major number, e.g. 15.
    pub major: u32,
}

impl PgBinaries {
    /// The path of one of the installation's programs.
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Picks the installation to use.
pub fn find_binaries(explicit: Option<&Path>, major: Option<u32>) -> Result<PgBinaries, ServerError> {
    if let Some(dir) = explicit {
        let found = installation_in(dir).ok_or_else(|| ServerError::NoBinaries {
            searched: format!("{} (from --pg-bin) has no working initdb and postgres", dir.display()),
        })?;
        return match major {
            Some(m) if m != found.major => {
                Err(ServerError::NoBinaries { searched: format!("{} holds PostgreSQL {}, not {m}", dir.display(), found.version) })
            }
            _ => Ok(found),
        };
    }
    local_installations().into_iter().find(|b| major.is_none_or(|m| m == b.major)).ok_or_else(|| ServerError::NoBinaries {
        searched: match major {
            Some(m) => format!("no PostgreSQL {m} server binaries in PATH, pg_config --bindir or /usr/lib/postgresql/*/bin"),
            None => "no PostgreSQL server binaries (initdb, postgres) in PATH, pg_config --bindir or /usr/lib/postgresql/*/bin".into(),
        },
    })
}

/// Every local installation (not the download cache), newest major first.
pub fn local_installations() -> Vec<PgBinaries> {
    let mut found: Vec<PgBinaries> = Vec::new();
    for bins in candidate_dirs().iter().filter_map(|dir| installation_in(dir)) {
        if !found.iter().any(|f| f.dir == bins.dir) {
            found.push(bins);
        }
    }
    found.sort_by_key(|b| std::cmp::Reverse(b.major));
    found
}

/// The cached (downloaded) installation's binaries of `major`, if any.
pub fn cached_binaries(major: u32) -> Option<PgBinaries> {
    crate::pgdist::installed_major(major).and_then(|i| installation_in(&i.bin))
}

/// A `pg_dump` that can dump a server of `server_major`: one of the same major if any is at
/// hand (in `explicit`, the usual places or the download cache), else the newest newer one
/// (pg_dump dumps servers of older majors; the baseline normaliser removes what the older
/// server would not understand). A client-only installation is enough.
pub fn pg_dump_for(explicit: Option<&Path>, server_major: u32) -> Option<(PathBuf, u32)> {
    let cached = crate::pgdist::installed().into_iter().map(|i| i.bin);
    let mut found: Vec<(PathBuf, u32)> = explicit
        .map(Path::to_path_buf)
        .into_iter()
        .chain(candidate_dirs())
        .chain(cached)
        .map(|dir| dir.join("pg_dump"))
        .filter(|program| program.is_file())
        .filter_map(|program| crate::dump::pg_dump_version(&program).ok().map(|v| (program, v.major)))
        .filter(|(_, major)| *major >= server_major)
        .collect();
    // The same major first, then the newest; the first found of equals (explicit, then PATH…).
    found.sort_by_key(|(_, major)| (*major != server_major, std::cmp::Reverse(*major)));
    found.into_iter().next()
}

fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        dirs.extend(entries.flatten().map(|e| e.path().join("bin")));
    }
    dirs
}

/// The installation in `dir`, resolving symlinks so companion programs come from the same place.
pub fn installation_in(dir: &Path) -> Option<PgBinaries> {
    let postgres = std::fs::canonicalize(dir.join("postgres")).ok()?;
    let real_dir = postgres.parent()?.to_path_buf();
    if !real_dir.join("initdb").is_file() {
        return None;
    }
    let out = Command::new(&postgres).arg("--version").output().ok()?;
    let version = parse_version(&String::from_utf8_lossy(&out.stdout))?;
    let major = version.split('.').next()?.parse().ok()?;
    Some(PgBinaries { dir: real_dir, version, major })
}

/// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → `15.18`.
fn parse_version(output: &str) -> Option<String> {
    output
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .map(|w| w.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect::<String>().trim_end_matches('.').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions() {
        assert_eq!(parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(), Some("15.18"));
        assert_eq!(parse_version("postgres (PostgreSQL) 17beta1").as_deref(), Some("17"));
        assert_eq!(parse_version("pg_dump (PostgreSQL) 16.4").as_deref(), Some("16.4"));
    }
}
