//! `dump` and `load`, and the schema file written after up/migrate/rollback — dbmate's
//! format byte for byte; a failed automatic dump is a warning, never silent.

use std::path::PathBuf;

use anyhow::{Context, anyhow};

use super::database::{Target, describe, describe_postgres};
use super::{Cli, EXIT_OK};
use crate::dump::{dbmate_schema_dump, guard_newer_settings, pg_dump_version, strip_psql_meta_commands};
use crate::ledger::LedgerTable;

/// `dump`: writes the schema file.
pub async fn dump(cli: &Cli, extra: &[String]) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    // As dbmate does: a database no migration ran on gets its (empty) ledger table first, so
    // the file is the one dbmate writes.
    let client = target.connect().await.map_err(|e| anyhow!(describe(&e)))?;
    let ledger = LedgerTable::resolve(&client, &cli.migrations_table, &target.url.search_path()).await?;
    client.batch_execute(&ledger.create_sql()).await.with_context(|| format!("creating the ledger table {}", ledger.qualified()))?;
    write_schema_file(cli, &target, extra).await?;
    Ok(EXIT_OK)
}

/// After up/migrate/rollback: writes the schema file unless --no-dump-schema; failures warn.
pub async fn dump_after_change(cli: &Cli, target: &Target) {
    if cli.no_dump_schema {
        return;
    }
    if let Err(e) = write_schema_file(cli, target, &[]).await {
        eprintln!("Warning: the schema file {} was not written: {e:#}", cli.schema_file.display());
    }
}

async fn write_schema_file(cli: &Cli, target: &Target, extra: &[String]) -> anyhow::Result<()> {
    let client = target.connect().await.map_err(|e| anyhow!(describe(&e)))?;
    let ledger = LedgerTable::resolve(&client, &cli.migrations_table, &target.url.search_path()).await?;
    outln!("Writing: {}", cli.schema_file.display());
    let program = match std::env::var_os("SQUASHMATE_PG_DUMP") {
        Some(program) => program.into(),
        None => pg_dump_for_server(&client).await,
    };
    let text = dbmate_schema_dump(&program, &target.url, &client, &ledger, extra).await?;
    if let Some(dir) = cli.schema_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(crate::migration::write_file(&cli.schema_file, text.as_bytes())?)
}

/// `pg_dump` from PATH, as dbmate runs it; when that one is older than the server (it would
/// refuse), one that can dump it from the installations at hand, said on stderr.
async fn pg_dump_for_server(client: &tokio_postgres::Client) -> PathBuf {
    let on_path = PathBuf::from("pg_dump");
    let server_major = match client.query_one("SHOW server_version_num", &[]).await {
        Ok(row) => row.get::<_, String>(0).parse::<u32>().unwrap_or(0) / 10000,
        Err(_) => return on_path,
    };
    if pg_dump_version(&on_path).is_ok_and(|v| v.major >= server_major) {
        return on_path;
    }
    match crate::server::pg_dump_for(None, server_major) {
        Some((program, major)) => {
            eprintln!("The pg_dump on PATH cannot dump PostgreSQL {server_major}: using {} ({major})", program.display());
            program
        }
        None => on_path,
    }
}

/// `load`: runs the schema file (psql meta-commands removed, settings the server lacks made
/// only where it has them) as one script.
pub async fn load(cli: &Cli) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    let text = std::fs::read_to_string(&cli.schema_file)
        .with_context(|| format!("reading {}; write it with `squashmate dump` or pass --schema-file", cli.schema_file.display()))?;
    let client = target.connect().await.map_err(|e| anyhow!(describe(&e)))?;
    client
        .batch_execute(&guard_newer_settings(&strip_psql_meta_commands(&text)))
        .await
        .map_err(|e| anyhow!("{}: {}", cli.schema_file.display(), describe_postgres(&e)))?;
    Ok(EXIT_OK)
}
