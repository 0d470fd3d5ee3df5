//! `squashmate new NAME`: dbmate's filename (UTC timestamp) and template; never overwrites.

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
    Ok(create_several(dirs, name, &[("", &text.to_string())], "new")?.remove(0))
}

/// Writes several files for one change, `<timestamp + i s>_NAME<suffix>.sql`, in order, all
/// of them or none (the directory is swapped for one holding them; `operation` names the
/// command in the journal); never overwrites.
pub fn create_several(dirs: &[PathBuf], name: &str, files: &[(&str, &String)], operation: &str) -> anyhow::Result<Vec<PathBuf>> {
    if name.is_empty() {
        bail!("please specify a name for the new migration, e.g. `squashmate new create_users`");
    }
    let dir = dirs.first().context("no migrations directory given")?;
    let now = chrono::Utc::now();
    let mut write = Vec::new();
    for (i, (suffix, text)) in files.iter().enumerate() {
        let at = now + chrono::Duration::seconds(i as i64);
        let file_name = format!("{}_{name}{suffix}.sql", at.format("%Y%m%d%H%M%S"));
        let path = dir.join(&file_name);
        if path.exists() {
            bail!("{} already exists; nothing was overwritten — wait a second or pick another name", path.display());
        }
        write.push((file_name, text.to_string()));
    }
    let rewrite = crate::migration::Rewrite { operation: operation.into(), write, ..Default::default() };
    crate::migration::rewrite(dir, &rewrite)?;
    let written: Vec<PathBuf> = rewrite.write.iter().map(|(file_name, _)| dir.join(file_name)).collect();
    for path in &written {
        outln!("Creating migration: {}", path.display());
    }
    Ok(written)
}
