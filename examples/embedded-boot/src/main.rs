//! A service that applies its migrations at start-up from migrations embedded in its binary
//! (no files at run time), with squashmate's lock, so many replicas can boot at once.
//!
//! `DATABASE_URL=postgres://… cargo run -p embedded-boot`

use include_dir::{Dir, include_dir};
use squashmate::ledger::{Event, Migrator};

static MIGRATIONS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../db/migrations");

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").map_err(|_| anyhow::anyhow!("set DATABASE_URL to the database to migrate"))?;
    let migrator = Migrator::from_embedded(&MIGRATIONS)?;
    let applied = migrator
        .up_url(&url, &mut |event| match event {
            Event::WaitingForLock(holder) => eprintln!("waiting for the migration lock held by {holder}"),
            Event::Applied(file, run) => eprintln!("applied {} in {:?}", file.filename, run.took),
            _ => {}
        })
        .await?;
    println!("database ready: {} migration(s) applied at boot", applied.len());
    Ok(())
}
