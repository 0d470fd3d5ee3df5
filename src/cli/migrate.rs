//! `up` and `migrate`: apply pending migrations under the migration lock, with dbmate's output.

use super::database::Target;
use super::{Cli, EXIT_OK, admin, schema_file};
use crate::ledger::{Event, Migrator};

/// Applies pending migrations; `create_first` creates the database when it is missing.
pub async fn run(cli: &Cli, create_first: bool) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    let migrator = Migrator::from_dirs(&cli.migrations_dir)?.with_options(target.migrator_options(cli));
    if create_first && !target.exists().await? {
        if let Err(e) = admin::create_database(&target).await {
            // Another replica may have created it a moment ago.
            if !target.exists().await? {
                return Err(e);
            }
        }
    }
    let (client, lock_client) = target.connect_pair().await?;
    migrator.up(&client, &lock_client, &mut print_event).await?;
    schema_file::dump_after_change(cli, &target).await;
    Ok(EXIT_OK)
}

/// Prints progress the way dbmate does.
pub fn print_event(event: Event<'_>) {
    match event {
        Event::CreatingSchema(schema) => println!("Creating schema: {schema}"),
        Event::WaitingForLock(holder) => eprintln!("Waiting for the migration lock held by {holder} …"),
        Event::Applying(file) => println!("Applying: {}", file.filename),
        Event::Applied(file, run) => {
            for note in &run.notes {
                eprintln!("Note: {}: {note}", file.filename);
            }
            for rows in &run.rows_affected {
                println!("Rows affected: {rows}");
            }
            println!("Applied: {} in {:?}", file.filename, run.took);
        }
        Event::RollingBack(file) => println!("Rolling back: {}", file.filename),
        Event::RolledBack(file, run) => {
            for rows in &run.rows_affected {
                println!("Rows affected: {rows}");
            }
            println!("Rolled back: {} in {:?}", file.filename, run.took);
        }
    }
}
