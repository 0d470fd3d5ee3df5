//! `squashmate new NAME`: dbmate's filename (UTC timestamp) and template; never overwrites.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::EXIT_OK;

/// dbmate's template for a new migration.
pub const TEMPLATE: &str = "-- migrate:up\n\n\n-- migrate:down\n\n";

/// Creates the file in the first migrations directory.
pub fn run(dirs: &[PathBuf], name: &str) -> anyhow::Result<u8> {
    create(dirs, name, TEMPLATE)?;
    Ok(EXIT_OK)
}

/// Writes `<UTC timestamp>_NAME.sql` holding `text` into the first migrations directory, as
/// dbmate names new migrations; never overwrites. Returns its path.
pub fn create(dirs: &[PathBuf], name: &str, text: &str) -> anyhow::Result<PathBuf> {
    Ok(create_several(dirs, name, &[("", &text.to_string())])?.remove(0))
}

/// Writes several files for one change, `<timestamp + i s>_NAME<suffix>.sql`, in order (none
/// is written when the first cannot be); never overwrites.
pub fn create_several(dirs: &[PathBuf], name: &str, files: &[(&str, &String)]) -> anyhow::Result<Vec<PathBuf>> {
    if name.is_empty() {
        bail!("please specify a name for the new migration, e.g. `squashmate new create_users`");
    }
    let dir = dirs.first().context("no migrations directory given")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let now = chrono::Utc::now();
    let mut written = Vec::new();
    for (i, (suffix, text)) in files.iter().enumerate() {
        let at = now + chrono::Duration::seconds(i as i64);
        let path = dir.join(format!("{}_{name}{suffix}.sql", at.format("%Y%m%d%H%M%S")));
        outln!("Creating migration: {}", path.display());
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).with_context(|| {
            format!(
                "{} already exists (or cannot be created); nothing was overwritten — wait a second or pick another name",
                path.display()
            )
        })?;
        file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
