//! HTTP from the registries: their metadata, and artifacts streamed to disk while hashed, then
//! checked against the published checksum before anything is unpacked. TLS trusts the
//! operating system's certificate store (as a proxy's CA is installed there).

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha2::Digest as _;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

use super::registry::{self, Artifact, Checksum, Platform};
use super::{PgDistError, npm_registry, pypi_url, unpack};

fn agent() -> ureq::Agent {
    let tls = TlsConfig::builder().provider(TlsProvider::NativeTls).root_certs(RootCerts::PlatformVerifier).build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(20)))
        .user_agent(concat!("squashmate/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn error(url: &str, error: ureq::Error) -> PgDistError {
    match error {
        ureq::Error::StatusCode(status) => PgDistError::Http { url: url.to_string(), status },
        other => PgDistError::Unreachable { url: url.to_string(), reason: other.to_string() },
    }
}

fn get_text(url: &str) -> Result<String, PgDistError> {
    let mut response = agent().get(url).call().map_err(|e| error(url, e))?;
    response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_string().map_err(|e| error(url, e))
}

/// The full installations PyPI publishes for this platform, newest major first.
pub fn pypi_artifacts(platform: Platform) -> Result<Vec<Artifact>, PgDistError> {
    let url = format!("{}/pypi/{}/json", pypi_url(), registry::PYPI_PROJECT);
    registry::pypi_artifacts(&get_text(&url)?, &url, platform)
}

/// The newest npm release of `major` for this platform.
pub fn npm_artifact(platform: Platform, major: u32) -> Result<Option<Artifact>, PgDistError> {
    let url = format!("{}/{}/{}", npm_registry(), registry::NPM_SCOPE, platform.npm);
    match get_text(&url) {
        Err(PgDistError::Http { status: 404, .. }) => Ok(None),
        other => registry::npm_artifact(&other?, major),
    }
}

/// Downloads `artifact` next to `staging`, verifies its checksum, and unpacks it into `staging`.
pub fn download_into(artifact: &Artifact, staging: &Path, progress: bool) -> Result<(), PgDistError> {
    let parent = staging.parent().unwrap_or(staging);
    let mut file = tempfile::Builder::new().prefix(".download-").tempfile_in(parent).map_err(|e| PgDistError::io(parent, e))?;
    let url = artifact.url.as_str();
    let mut response = agent().get(url).call().map_err(|e| error(url, e))?;
    let total: Option<u64> = response.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if progress {
        let size = total.map(|t| format!(" ({:.1} MB)", t as f64 / 1e6)).unwrap_or_default();
        eprintln!("Downloading PostgreSQL {} ({}) from {url}{size}", artifact.major, artifact.version);
    }
    let mut reader = response.body_mut().as_reader();
    let (mut sha256, mut sha512) = (sha2::Sha256::new(), sha2::Sha512::new());
    let mut buffer = vec![0u8; 256 * 1024];
    let (mut done, mut shown, started) = (0u64, 0u64, Instant::now());
    loop {
        let n = reader.read(&mut buffer).map_err(|e| PgDistError::Unreachable { url: url.to_string(), reason: e.to_string() })?;
        if n == 0 {
            break;
        }
        sha256.update(&buffer[..n]);
        sha512.update(&buffer[..n]);
        file.write_all(&buffer[..n]).map_err(|e| PgDistError::io(file.path(), e))?;
        done += n as u64;
        match total.filter(|t| progress && *t > 0) {
            Some(total) if done * 10 / total > shown => {
                shown = done * 10 / total;
                eprintln!("  {:>3}% of {:.1} MB, {:.1?}", shown * 10, total as f64 / 1e6, started.elapsed());
            }
            _ => {}
        }
    }
    file.flush().map_err(|e| PgDistError::io(file.path(), e))?;
    let (expected, actual) = match &artifact.checksum {
        Checksum::Sha512Base64(expected) => (expected.clone(), base64::engine::general_purpose::STANDARD.encode(sha512.finalize())),
        Checksum::Sha256Hex(expected) => (expected.to_ascii_lowercase(), hex(&sha256.finalize())),
    };
    if expected != actual {
        return Err(PgDistError::ChecksumMismatch { url: url.to_string(), expected, actual });
    }
    if progress {
        eprintln!("  checksum verified; unpacking");
    }
    unpack::unpack(artifact.kind, file.path(), staging)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
