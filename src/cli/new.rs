//! `squashmate new NAME`: dbmate's filename (UTC timestamp) and template; never overwrites.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::EXIT_OK;

/// dbmate's template for a new migration.
pub const TEMPLATE: &str = "-- migrate:up\n\n\n-- migrate:down\n\n";

/// Creates the file in the first migrations directory.
pub fn run(dirs: &[PathBuf], name: &str) -> anyhow::Result<u8> {
    if name.is_empty() {
        bail!("please specify a name for the new migration, e.g. `squashmate new create_users`");
    }
    let dir = dirs.first().context("no migrations directory given")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let filename = format!("{}_{name}.sql", chrono::Utc::now().format("%Y%m%d%H%M%S"));
    let path = dir.join(&filename);
    outln!("Creating migration: {}", path.display());
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).with_context(|| {
        format!("{} already exists (or cannot be created); nothing was overwritten — wait a second or pick another name", path.display())
    })?;
    file.write_all(TEMPLATE.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(EXIT_OK)
}
