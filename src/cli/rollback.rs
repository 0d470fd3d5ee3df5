//! `rollback`/`down`: one step as dbmate, or `--steps N`, or `--to VERSION`.

use anyhow::anyhow;

use super::database::{Target, describe};
use super::migrate::print_event;
use super::{Cli, EXIT_OK, schema_file};
use crate::ledger::{Migrator, RollbackTarget};

/// Rolls back and rewrites the schema file.
pub async fn run(cli: &Cli, steps: Option<usize>, to: Option<String>) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    let migrator = Migrator::from_dirs(&cli.migrations_dir)?.with_options(target.migrator_options(cli));
    let how = match (steps, to) {
        (_, Some(version)) => RollbackTarget::ToVersion(version),
        (Some(n), None) => RollbackTarget::Steps(n),
        (None, None) => RollbackTarget::Steps(1),
    };
    let (client, lock_client) = target.connect_pair().await.map_err(|e| anyhow!(describe(&e)))?;
    migrator.rollback(&client, &lock_client, &how, &mut print_event).await?;
    schema_file::dump_after_change(cli, &target).await;
    Ok(EXIT_OK)
}
