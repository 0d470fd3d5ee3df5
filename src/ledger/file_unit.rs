//! Applies (or rolls back) one migration file as one unit: all of its blocks in one
//! transaction together with its ledger row when every block is transactional; otherwise
//! block by block, and the ledger row only after the last block succeeded.

use std::time::{Duration, Instant};

use tokio_postgres::{Client, SimpleQueryMessage};

use super::apply_error::{ApplyError, StatementFailure};
use super::table::LedgerTable;
use crate::checks::{Stopped, check_before, may_have_checks, stopping_checks};
use crate::migration::{Block, MigrationFile, Way};

/// What running a file did.
#[derive(Debug, Clone, Default)]
pub struct FileRun {
    /// Wall time.
    pub took: Duration,
    /// Rows affected by each statement (filled when asked for).
    pub rows_affected: Vec<u64>,
    /// What was done besides the file's own SQL (recovery from an interrupted run).
    pub notes: Vec<String>,
}

/// How a file is run.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileOptions {
    /// Collect rows affected per statement.
    pub count_rows: bool,
    /// Stop before a drop that would lose rows (its check stops the file like the others).
    pub stop_on_data_loss: bool,
}

/// Applies `file`'s up blocks on `client` and records its version in `ledger`.
pub async fn apply_file(client: &Client, file: &MigrationFile, ledger: &LedgerTable) -> Result<Duration, ApplyError> {
    run_file(client, file, ledger, Way::Up, FileOptions::default()).await.map(|run| run.took)
}

/// Runs `file` one `way`, updating `ledger`, as `options` say.
pub async fn run_file(
    client: &Client,
    file: &MigrationFile,
    ledger: &LedgerTable,
    way: Way,
    options: FileOptions,
) -> Result<FileRun, ApplyError> {
    let count_rows = options.count_rows;
    let stopping: Vec<_> = file.problems.iter().filter(|p| p.stops(way)).collect();
    if let Some(first) = stopping.first() {
        return Err(ApplyError::Invalid { path: file.path().display().to_string(), count: stopping.len(), first: first.message.clone() });
    }
    let started = Instant::now();
    let blocks: Vec<&Block> = match way {
        Way::Up => file.sections.iter().map(|s| &s.up).collect(),
        Way::Down => file.sections.iter().rev().map(|s| &s.down).collect(),
    };
    let record = match way {
        Way::Up => ledger.insert_sql(&file.version),
        Way::Down => ledger.delete_sql(&file.version),
    };
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let transactional = blocks.iter().all(|b| b.options.transaction());
    // Parsed for checks once, and only when the text may have any.
    let checks =
        if way == Way::Up && may_have_checks(file.source.text()) { stopping_checks(file, options.stop_on_data_loss) } else { Vec::new() };
    let checked_first = !checks.is_empty();
    if checked_first && !transactional {
        // The checks in a read-only transaction of their own, then the blocks as dbmate runs them.
        begin_read_only(client, file).await?;
        let verdict = check_before(client, file, &checks).await;
        let _ = client.batch_execute("ROLLBACK").await;
        stop_on(file, verdict)?;
    }
    if !count_rows && transactional && !checked_first {
        // One round trip: the whole file and its ledger row in one transaction.
        if let Err(error) = client.batch_execute(&whole_file_script(file, &blocks, &record)).await {
            return Err(locate_failure(client, file, &blocks, (way, &record), &error).await);
        }
    } else if transactional {
        begin(client, file).await?;
        // The checks first, in the file's own transaction: nothing runs when one finds rows.
        if checked_first {
            let verdict = check_before(client, file, &checks).await;
            if let Err(e) = stop_on(file, verdict) {
                let _ = client.batch_execute("ROLLBACK").await;
                return Err(e);
            }
        }
        let result = async {
            for block in &blocks {
                rows.extend(run_statements(client, file, block, count_rows).await?);
            }
            client.batch_execute(&record).await.map_err(|e| ledger_failure(file, way, &e))
        }
        .await;
        finish(client, file, result).await?;
    } else {
        for block in &blocks {
            if block.options.transaction() {
                begin(client, file).await?;
                let result = run_statements(client, file, block, count_rows).await.map(|r| rows.extend(r));
                finish(client, file, result).await?;
            } else if let Some(note) = recover_concurrent_index(client, file, block).await? {
                notes.push(note);
            } else {
                rows.extend(run_block_whole(client, file, block, count_rows).await?);
            }
        }
        client.batch_execute(&record).await.map_err(|e| ledger_failure(file, way, &e))?;
    }
    Ok(FileRun { took: started.elapsed(), rows_affected: rows, notes })
}

/// `BEGIN`, the blocks' bodies and `record`, then `COMMIT`: a whole file in one round trip.
fn whole_file_script(file: &MigrationFile, blocks: &[&Block], record: &str) -> String {
    let size = blocks.iter().map(|b| b.body.len() + 3).sum::<usize>() + record.len() + 24;
    let mut script = String::with_capacity(size);
    script.push_str("BEGIN;\n");
    for block in blocks {
        script.push_str(&file.source.text()[block.body.clone()]);
        script.push_str("\n;\n");
    }
    script.push_str(record);
    script.push_str(";\nCOMMIT;");
    script
}

/// Sends `file`'s up blocks and its ledger row in an open transaction, after `prelude` (e.g.
/// the ledger's `CREATE TABLE`), and leaves it open: the caller commits once the file's checks
/// passed, or rolls back. Needs a file whose up blocks are all transactional. Each block is sent
/// straight from the file's text (a data migration may be many megabytes: no copy of it is made
/// here), at the cost of a round trip per block.
pub async fn send_uncommitted(
    client: &Client,
    file: &MigrationFile,
    ledger: &LedgerTable,
    prelude: &str,
) -> Result<(), tokio_postgres::Error> {
    client.batch_execute(&format!("BEGIN;\n{prelude}")).await?;
    for section in &file.sections {
        client.batch_execute(&file.source.text()[section.up.body.clone()]).await?;
    }
    client.batch_execute(&ledger.insert_sql(&file.version)).await
}

/// After `error` failed a file sent in one round trip: rolls back, runs the file again
/// statement by statement, then its ledger row (`record`: the way and the SQL), to name what
/// fails (`file` must have its statements parsed), and rolls back again.
pub async fn locate_failure(
    client: &Client,
    file: &MigrationFile,
    blocks: &[&Block],
    record: (Way, &str),
    error: &tokio_postgres::Error,
) -> ApplyError {
    let _ = client.batch_execute("ROLLBACK").await;
    if let Err(e) = begin(client, file).await {
        return e;
    }
    let mut located = None;
    for block in blocks {
        if let Err(e) = run_statements(client, file, block, false).await {
            located = Some(e);
            break;
        }
    }
    if located.is_none()
        && let Err(e) = client.batch_execute(record.1).await
    {
        located = Some(ledger_failure(file, record.0, &e));
    }
    let _ = client.batch_execute("ROLLBACK").await;
    located.unwrap_or_else(|| {
        ApplyError::Statement(Box::new(StatementFailure::locate(file, error, None, blocks.first().map_or(0, |b| b.marker.start))))
    })
}

async fn begin_read_only(client: &Client, file: &MigrationFile) -> Result<(), ApplyError> {
    client.batch_execute("BEGIN READ ONLY").await.map_err(|e| ApplyError::connection(file, e))
}

/// A check run's verdict as the file's result: its stopping checks become the error.
fn stop_on(file: &MigrationFile, verdict: Result<Result<(), Stopped>, tokio_postgres::Error>) -> Result<(), ApplyError> {
    match verdict {
        Ok(Ok(())) => Ok(()),
        Ok(Err(stopped)) => Err(ApplyError::Checks(Box::new(stopped))),
        Err(e) => Err(ApplyError::connection(file, e)),
    }
}

async fn begin(client: &Client, file: &MigrationFile) -> Result<(), ApplyError> {
    client.batch_execute("BEGIN").await.map_err(|e| ApplyError::connection(file, e))
}

async fn finish(client: &Client, file: &MigrationFile, result: Result<(), ApplyError>) -> Result<(), ApplyError> {
    match result {
        Ok(()) => client.batch_execute("COMMIT").await.map_err(|e| ApplyError::connection(file, e)),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Statement by statement, so a failure names its statement.
async fn run_statements(client: &Client, file: &MigrationFile, block: &Block, count_rows: bool) -> Result<Vec<u64>, ApplyError> {
    let mut rows = Vec::new();
    for stmt in &block.statements {
        let sql = &file.source.text()[stmt.span.clone()];
        let fail = |e: tokio_postgres::Error| {
            ApplyError::Statement(Box::new(StatementFailure::locate(file, &e, Some(stmt.span.start), stmt.span.start)))
        };
        if count_rows {
            rows.extend(affected(client.simple_query(sql).await.map_err(fail)?));
        } else {
            client.batch_execute(sql).await.map_err(fail)?;
        }
    }
    Ok(rows)
}

/// A `CREATE INDEX CONCURRENTLY` interrupted in an earlier run leaves its index behind (its
/// ledger row was never written): a valid one means the statement is done (returns a note and
/// the block is skipped); an invalid one is dropped so the statement can run again.
async fn recover_concurrent_index(client: &Client, file: &MigrationFile, block: &Block) -> Result<Option<String>, ApplyError> {
    let [stmt] = block.statements.as_slice() else { return Ok(None) };
    let Some(index) = &stmt.concurrent_index else { return Ok(None) };
    let fail = |e: tokio_postgres::Error| {
        ApplyError::Statement(Box::new(StatementFailure::locate(file, &e, Some(stmt.span.start), stmt.span.start)))
    };
    let found = client
        .query_opt(
            "select i.indisvalid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
             from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace \
             where c.relname = $1 and i.indrelid = to_regclass($2)",
            &[&index.name, &index.table],
        )
        .await
        .map_err(fail)?;
    match found {
        Some(row) if row.get::<_, bool>(0) => Ok(Some(format!(
            "index {} already exists and is valid (an earlier run was interrupted after building it): not built again",
            row.get::<_, String>(1)
        ))),
        Some(row) => {
            let qualified: String = row.get(1);
            client.batch_execute(&format!("DROP INDEX CONCURRENTLY {qualified}")).await.map_err(fail)?;
            run_block_whole(client, file, block, false).await?;
            Ok(Some(format!("dropped the invalid index {qualified} left by an interrupted run, then built it again")))
        }
        None => Ok(None),
    }
}

/// A `transaction:false` block is sent whole, as dbmate sends it.
async fn run_block_whole(client: &Client, file: &MigrationFile, block: &Block, count_rows: bool) -> Result<Vec<u64>, ApplyError> {
    let sql = &file.source.text()[block.body.clone()];
    let fallback = block.statements.first().map_or(block.marker.start, |s| s.span.start);
    let fail =
        |e: tokio_postgres::Error| ApplyError::Statement(Box::new(StatementFailure::locate(file, &e, Some(block.body.start), fallback)));
    if count_rows {
        Ok(affected(client.simple_query(sql).await.map_err(fail)?))
    } else {
        client.batch_execute(sql).await.map_err(fail).map(|()| Vec::new())
    }
}

fn affected(messages: Vec<SimpleQueryMessage>) -> Vec<u64> {
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// The ledger row of `file` could not be written (up) or deleted (down) after its blocks ran.
fn ledger_failure(file: &MigrationFile, way: Way, error: &tokio_postgres::Error) -> ApplyError {
    let (way, done, next) = match way {
        Way::Up => (
            "up",
            "written",
            "the migrations table is missing or not writable here: a session-level `SET search_path` in the file, or a block that drops or moves the table, breaks dbmate's ledger too",
        ),
        Way::Down => (
            "down",
            "deleted",
            "a down block that drops the ledger's table or schema (e.g. DROP SCHEMA … CASCADE) takes dbmate's ledger with it: keep it out of the down",
        ),
    };
    let message = error.as_db_error().map_or_else(|| crate::report::with_causes(error), |db| db.message().to_string());
    ApplyError::Ledger { path: file.path().display().to_string(), way, done, message, next }
}
