//! `up` and `migrate`: apply pending migrations under the migration lock, with dbmate's output.

use anyhow::anyhow;

use super::database::{Target, describe};
use super::{Cli, EXIT_OK, admin, schema_file};
use crate::ledger::{Event, Migrator};

/// Applies pending migrations; `create_first` creates the database when it is missing.
pub async fn run(cli: &Cli, create_first: bool) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    // Read the files while the connections are being opened.
    let dirs = cli.migrations_dir.clone();
    let reading = tokio::task::spawn_blocking(move || Migrator::from_dirs(&dirs));
    let (client, lock_client) = match target.connect_pair().await {
        Err(e) if create_first && e.sqlstate() == Some("3D000") => {
            if let Err(e) = admin::create_database(&target).await {
                // Another replica may have created it a moment ago.
                if !target.exists().await? {
                    return Err(e);
                }
            }
            target.connect_pair().await.map_err(|e| anyhow!(describe(&e)))?
        }
        other => other.map_err(|e| anyhow!(describe(&e)))?,
    };
    let migrator = reading.await??.with_options(target.migrator_options(cli));
    migrator.up(&client, &lock_client, &mut print_event).await?;
    schema_file::dump_after_change(cli, &target).await;
    Ok(EXIT_OK)
}

/// Prints progress the way dbmate does.
pub fn print_event(event: Event<'_>) {
    match event {
        Event::CreatingSchema(schema) => outln!("Creating schema: {schema}"),
        Event::WaitingForLock(which) => eprintln!("Waiting for {which} …"),
        Event::Applying(file) => outln!("Applying: {}", file.filename),
        Event::Applied(file, run) => {
            for note in &run.notes {
                eprintln!("Note: {}: {note}", file.filename);
            }
            for rows in &run.rows_affected {
                outln!("Rows affected: {rows}");
            }
            outln!("Applied: {} in {:?}", file.filename, run.took);
        }
        Event::RollingBack(file) => outln!("Rolling back: {}", file.filename),
        Event::RolledBack(file, run) => {
            for rows in &run.rows_affected {
                outln!("Rows affected: {rows}");
            }
            outln!("Rolled back: {} in {:?}", file.filename, run.took);
        }
        Event::Warning(problem) => eprintln!("{}", crate::report::warning_line(problem)),
    }
}
