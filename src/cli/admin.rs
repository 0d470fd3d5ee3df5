//! `create`, `drop` and `wait`: database-level operations, with dbmate's output lines.

use std::io::Write;
use std::time::Instant;

use anyhow::anyhow;

use super::database::{Target, describe, describe_postgres};
use super::{Cli, EXIT_OK};
use crate::sql::quote_ident;

/// `create`: creates the database; an existing one is an error, as in dbmate.
pub async fn create(cli: &Cli) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    create_database(&target).await?;
    Ok(EXIT_OK)
}

/// Creates the target database, printing `Creating: NAME`.
pub async fn create_database(target: &Target) -> anyhow::Result<()> {
    outln!("Creating: {}", target.url.database());
    create_database_quietly(target).await
}

/// Creates the target's database, printing nothing (for a fleet's results table).
pub async fn create_database_quietly(target: &Target) -> anyhow::Result<()> {
    let name = target.url.database();
    let client = target.connect_server().await?;
    client.batch_execute(&format!("create database {}", quote_ident(&name))).await.map_err(|e| anyhow!(describe_postgres(&e)))
}

/// `drop`: drops the database if it exists.
pub async fn drop(cli: &Cli) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    let name = target.url.database();
    outln!("Dropping: {name}");
    let client = target.connect_server().await?;
    client.batch_execute(&format!("drop database if exists {}", quote_ident(&name))).await.map_err(|e| anyhow!(describe_postgres(&e)))?;
    Ok(EXIT_OK)
}

/// `wait`: retries until the server answers (a missing database counts as reachable).
pub async fn wait(cli: &Cli) -> anyhow::Result<u8> {
    let target = Target::from_cli(cli)?;
    let started = Instant::now();
    let timeout: std::time::Duration = cli.wait_timeout.into();
    let mut announced = false;
    loop {
        let error = match target.connect().await {
            Ok(_) => None,
            Err(e) if e.sqlstate() == Some("3D000") => None,
            Err(e) => Some(e),
        };
        let Some(error) = error else {
            if announced {
                outln!();
            }
            return Ok(EXIT_OK);
        };
        if started.elapsed() >= timeout {
            if announced {
                outln!();
            }
            return Err(anyhow!(describe(&error)));
        }
        if !announced {
            out!("Waiting for database");
            announced = true;
        }
        out!(".");
        let _ = std::io::stdout().flush();
        tokio::time::sleep(cli.wait_interval.into()).await;
    }
}
