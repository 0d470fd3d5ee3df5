//! Applies one migration file as one unit: all of its up blocks in one transaction together
//! with its ledger row when every block is transactional; otherwise block by block, and the
//! ledger row only after the last one succeeded.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::error::{ApplyError, StatementFailure};
use super::ledger_table::LedgerTable;
use crate::migration::{Block, MigrationFile};

/// Applies `file`'s up blocks on `client` and records its version in `ledger`.
pub async fn apply_file(client: &Client, file: &MigrationFile, ledger: &LedgerTable) -> Result<Duration, ApplyError> {
    if let Some(first) = file.problems.first() {
        return Err(ApplyError::Invalid {
            path: file.path().display().to_string(),
            count: file.problems.len(),
            first: first.message.clone(),
        });
    }
    let started = Instant::now();
    let record = ledger.insert_sql(&file.version);
    if file.up_is_transactional() {
        in_transaction(client, file, |client| async move {
            for section in &file.sections {
                run_statements(client, file, &section.up).await?;
            }
            client.batch_execute(&record).await.map_err(|e| connection(file, e))
        })
        .await?;
    } else {
        for section in &file.sections {
            if section.up.options.transaction() {
                in_transaction(client, file, |client| run_statements(client, file, &section.up)).await?;
            } else {
                run_block_whole(client, file, &section.up).await?;
            }
        }
        client.batch_execute(&record).await.map_err(|e| connection(file, e))?;
    }
    Ok(started.elapsed())
}

async fn in_transaction<'a, F, Fut>(client: &'a Client, file: &MigrationFile, body: F) -> Result<(), ApplyError>
where
    F: FnOnce(&'a Client) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApplyError>>,
{
    client.batch_execute("BEGIN").await.map_err(|e| connection(file, e))?;
    match body(client).await {
        Ok(()) => client.batch_execute("COMMIT").await.map_err(|e| connection(file, e)),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Statement by statement, so a failure names its statement.
async fn run_statements(client: &Client, file: &MigrationFile, block: &Block) -> Result<(), ApplyError> {
    for stmt in &block.statements {
        let sql = &file.source.text()[stmt.span.clone()];
        client
            .batch_execute(sql)
            .await
            .map_err(|e| ApplyError::Statement(Box::new(StatementFailure::locate(file, &e, stmt.span.start, stmt.span.start))))?;
    }
    Ok(())
}

/// A `transaction:false` block is sent whole, as dbmate sends it.
async fn run_block_whole(client: &Client, file: &MigrationFile, block: &Block) -> Result<(), ApplyError> {
    let sql = &file.source.text()[block.body.clone()];
    let fallback = block.statements.first().map_or(block.marker.start, |s| s.span.start);
    client
        .batch_execute(sql)
        .await
        .map_err(|e| ApplyError::Statement(Box::new(StatementFailure::locate(file, &e, block.body.start, fallback))))
}

fn connection(file: &MigrationFile, source: tokio_postgres::Error) -> ApplyError {
    ApplyError::Connection { path: file.path().display().to_string(), source }
}
