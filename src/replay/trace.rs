//! `replay --trace`: what each statement really does on a server, with sample rows in every
//! table — the locks its session holds on relations that existed before its file, whether a
//! table was rewritten (its relfilenode changed), and how long it took. The static hazards
//! are then confirmed or contradicted by what was seen.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::ReplayError;
use crate::ledger::{ApplyError, LedgerTable, StatementFailure, apply_file};
use crate::migration::MigrationFile;
use crate::progress::Progress;
use crate::seed::seed;
use crate::server::{EphemeralServer, ServerError};
use crate::setup::Setup;

/// What one statement did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementTrace {
    /// Byte offset of the statement in its file.
    pub offset: usize,
    /// Relation → the strongest lock mode the session holds once the statement ran (its
    /// transaction's locks so far; relations that existed before the file only).
    pub locks: BTreeMap<String, String>,
    /// Tables rewritten by the statement.
    pub rewritten: Vec<String>,
    /// Wall time (`took_ms` in JSON).
    #[serde(rename = "took_ms", serialize_with = "crate::report::as_millis")]
    pub took: Duration,
    /// Whether the locks could be observed (not for statements run outside a transaction).
    pub observed: bool,
}

/// What one file did.
#[derive(Debug, Clone)]
pub struct FileTrace {
    /// The file.
    pub file: String,
    /// Each up statement, in order.
    pub statements: Vec<StatementTrace>,
    /// Where the file fails with sample rows in the tables (and not without them): it was then
    /// traced without them.
    pub without_sample_rows: Option<StatementFailure>,
}

/// Lock modes from weakest to strongest.
const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// How strong a lock mode is (its place in [`MODES`]).
pub fn strength(mode: &str) -> usize {
    MODES.iter().position(|m| *m == mode).unwrap_or(0)
}

/// Relations that exist now: oid → (name, relfilenode).
async fn relations(client: &Client) -> Result<BTreeMap<u32, (String, u32)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relfilenode
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get::<_, u32>("oid"), (r.get::<_, String>("name"), r.get::<_, u32>("relfilenode")))).collect())
}

/// The relation locks this session holds, by oid.
async fn own_locks(client: &Client) -> Result<BTreeMap<u32, String>, tokio_postgres::Error> {
    let rows =
        client.query("SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted", &[]).await?;
    let mut locks: BTreeMap<u32, String> = BTreeMap::new();
    for row in rows {
        let (oid, mode): (u32, String) = (row.get("relation"), row.get("mode"));
        let entry = locks.entry(oid).or_default();
        if strength(&mode) >= strength(entry) {
            *entry = mode;
        }
    }
    Ok(locks)
}

/// Replays `files` on a fresh database of `server`, tracing every up statement with sample
/// rows in every table (a `transaction:false` block runs whole, as dbmate runs it, its locks
/// read while it runs). The sample rows never change what the chain does: each file is traced
/// with fresh ones in a transaction that is rolled back (a file with a `transaction:false` block:
/// on a copy of the database), then applied without them. Where a file fails only because of the
/// sample rows (a key a later seed migration inserts, a constraint they break), it is traced
/// without them and the trace says so.
/// `progress` hears of each file as it begins.
pub async fn trace(
    server: &EphemeralServer,
    setup: &Setup,
    files: &[MigrationFile],
    progress: &dyn Progress,
) -> Result<Vec<FileTrace>, ReplayError> {
    let ledger = LedgerTable::default();
    let (database, client, _) = super::prepared_database(server, setup, &super::role_uses(files)).await?;
    client.batch_execute(&ledger.create_sql()).await.map_err(ServerError::from)?;
    let mut session = Some((client, server.connect(&database).await?));
    let mut traces = Vec::new();
    let mut applied = Vec::new();
    progress.begin("trace", files.len());
    for (index, file) in files.iter().enumerate() {
        progress.step(index + 1, &file.filename);
        let (client, monitor) = session.take().expect("the session is put back after each file");
        let in_transaction = file.up_is_transactional();
        let (sampled, client, monitor) = if in_transaction {
            (traced_run(&client, &monitor, file, &ledger, Rows::Sampled).await, client, monitor)
        } else {
            // Statements outside a transaction cannot be undone: the sampled run goes to a copy.
            drop((client, monitor));
            let copy = server.create_database(Some(&database)).await?;
            let (copy_client, copy_monitor) = (server.connect(&copy).await?, server.connect(&copy).await?);
            let sampled = traced_run(&copy_client, &copy_monitor, file, &ledger, Rows::Sampled).await;
            drop((copy_client, copy_monitor));
            (sampled, server.connect(&database).await?, server.connect(&database).await?)
        };
        let traced = match sampled {
            Ok(statements) => apply_file(&client, file, &ledger).await.map(|_| FileTrace {
                file: file.path().display().to_string(),
                statements,
                without_sample_rows: None,
            }),
            Err(ApplyError::Statement(failure)) => traced_run(&client, &monitor, file, &ledger, Rows::None)
                .await
                .map(|statements| FileTrace { file: file.path().display().to_string(), statements, without_sample_rows: Some(*failure) }),
            Err(other) => Err(other),
        };
        match traced {
            Ok(trace) => traces.push(trace),
            Err(source) => return Err(ReplayError::Migration { source, applied }),
        }
        applied.push(file.filename.clone());
        session = Some((client, monitor));
    }
    progress.end();
    Ok(traces)
}

/// Whether a traced run has sample rows in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Fresh sample rows; a file in one transaction is rolled back at the end (the caller runs a
    /// file with `transaction:false` blocks on a copy of the database).
    Sampled,
    /// The tables as the chain left them; the file is applied and recorded.
    None,
}

/// Runs `file`'s up blocks on `client`, tracing each statement; `monitor` watches the blocks run
/// outside a transaction.
async fn traced_run(
    client: &Client,
    monitor: &Client,
    file: &MigrationFile,
    ledger: &LedgerTable,
    rows: Rows,
) -> Result<Vec<StatementTrace>, ApplyError> {
    let connection = |e| ApplyError::connection(file, e);
    let one_transaction = file.up_is_transactional();
    client.batch_execute("BEGIN").await.map_err(connection)?;
    if rows == Rows::Sampled {
        seed(client, 3, &crate::seed::LeftAlone::ledger(ledger)).await.map_err(connection)?;
    }
    if !one_transaction {
        client.batch_execute("COMMIT").await.map_err(connection)?;
    }
    let result = traced_blocks(client, monitor, file, one_transaction).await;
    let end = match (&result, one_transaction, rows) {
        (Err(_), true, _) | (Ok(_), true, Rows::Sampled) => "ROLLBACK".to_string(),
        (Ok(_), true, Rows::None) => format!("{};\nCOMMIT", ledger.insert_sql(&file.version)),
        (Err(_), false, _) => return result,
        (Ok(_), false, _) => ledger.insert_sql(&file.version),
    };
    let ended = client.batch_execute(&end).await.map_err(connection);
    let statements = result?;
    ended.map(|()| statements)
}

/// Traces each up statement of `file`; `one_transaction`: the caller opened the transaction
/// every block runs in, otherwise each transactional block gets its own.
async fn traced_blocks(
    client: &Client,
    monitor: &Client,
    file: &MigrationFile,
    one_transaction: bool,
) -> Result<Vec<StatementTrace>, ApplyError> {
    let connection = |e| ApplyError::connection(file, e);
    let before_file = relations(client).await.map_err(connection)?;
    let mut traced = Vec::new();
    for section in &file.sections {
        let block = &section.up;
        let transactional = block.options.transaction();
        let own_transaction = transactional && !one_transaction;
        if own_transaction {
            client.batch_execute("BEGIN").await.map_err(connection)?;
        }
        let statements: Vec<_> = if transactional { block.statements.iter().collect() } else { Vec::new() };
        for statement in statements {
            let relations_before = relations(client).await.map_err(connection)?;
            let started = Instant::now();
            if let Err(e) = client.batch_execute(&file.source.text()[statement.span.clone()]).await {
                if own_transaction {
                    let _ = client.batch_execute("ROLLBACK").await;
                }
                return Err(ApplyError::Statement(Box::new(StatementFailure::locate(
                    file,
                    &e,
                    Some(statement.span.start),
                    statement.span.start,
                ))));
            }
            let took = started.elapsed();
            let (relations_after, locks_after) =
                (relations(client).await.map_err(connection)?, own_locks(client).await.map_err(connection)?);
            // What the transaction holds once the statement ran: a later statement in it waits
            // for nothing new, but every lock stays until the commit.
            let locks = locks_after.iter().filter_map(|(oid, mode)| Some((before_file.get(oid)?.0.clone(), mode.clone()))).collect();
            traced.push(StatementTrace {
                offset: statement.span.start,
                locks,
                rewritten: rewritten(&relations_before, &relations_after),
                took,
                observed: true,
            });
        }
        if own_transaction {
            client.batch_execute("COMMIT").await.map_err(connection)?;
        } else if !transactional {
            let relations_before = relations(client).await.map_err(connection)?;
            let started = Instant::now();
            let sql = &file.source.text()[block.body.clone()];
            let (ran, seen) = run_watched(client, monitor, sql).await.map_err(connection)?;
            if let Err(e) = ran {
                return Err(ApplyError::Statement(Box::new(StatementFailure::locate(
                    file,
                    &e,
                    Some(block.body.start),
                    block.marker.start,
                ))));
            }
            let relations_after = relations(client).await.map_err(connection)?;
            let offset = block.statements.first().map_or(block.marker.start, |s| s.span.start);
            let locks: BTreeMap<String, String> =
                seen.iter().filter_map(|(oid, mode)| Some((before_file.get(oid)?.0.clone(), mode.clone()))).collect();
            traced.push(StatementTrace {
                offset,
                observed: !locks.is_empty(),
                locks,
                rewritten: rewritten(&relations_before, &relations_after),
                took: started.elapsed(),
            });
        }
    }
    Ok(traced)
}

/// Runs `sql` (a block outside a transaction) on `client` while `monitor` holds a snapshot
/// open — a `CONCURRENTLY` statement waits for it, so its locks can be read — and polls the
/// locks `client`'s session holds; the snapshot is let go once locks were seen or after a
/// moment. Returns the statement's result and the strongest mode seen per relation.
async fn run_watched(
    client: &Client,
    monitor: &Client,
    sql: &str,
) -> Result<(Result<(), tokio_postgres::Error>, BTreeMap<u32, String>), tokio_postgres::Error> {
    let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[]).await?.get(0);
    monitor.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").await?;
    let done = std::sync::atomic::AtomicBool::new(false);
    let run = async {
        let result = client.batch_execute(sql).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };
    let watch = async {
        let mut seen: BTreeMap<u32, String> = BTreeMap::new();
        let started = Instant::now();
        let mut holding = true;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            let rows =
                monitor.query("SELECT relation, mode FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND granted", &[&pid]).await?;
            for row in rows {
                let (oid, mode): (u32, String) = (row.get("relation"), row.get("mode"));
                let entry = seen.entry(oid).or_default();
                if strength(&mode) >= strength(entry) {
                    *entry = mode;
                }
            }
            if holding && (!seen.is_empty() || started.elapsed() > Duration::from_millis(300)) {
                monitor.batch_execute("COMMIT").await?;
                holding = false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if holding {
            monitor.batch_execute("COMMIT").await?;
        }
        Ok::<_, tokio_postgres::Error>(seen)
    };
    let (ran, seen) = tokio::join!(run, watch);
    Ok((ran, seen?))
}

/// Tables whose relfilenode changed.
fn rewritten(before: &BTreeMap<u32, (String, u32)>, after: &BTreeMap<u32, (String, u32)>) -> Vec<String> {
    before.iter().filter(|(oid, (_, node))| after.get(oid).is_some_and(|(_, new)| new != node)).map(|(_, (name, _))| name.clone()).collect()
}

/// What the server says of a static hazard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", content = "detail", rename_all = "kebab-case")]
pub enum Verdict {
    /// Seen on the server.
    Confirmed(String),
    /// The server did otherwise (the static rule was too cautious here).
    Disproved(String),
    /// Not something a replay can see (running code, rows of production).
    NotObservable(String),
}

impl Verdict {
    /// The verdict's name (as in JSON) and its detail.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Verdict::Confirmed(d) => ("confirmed", d),
            Verdict::Disproved(d) => ("disproved", d),
            Verdict::NotObservable(d) => ("not-observable", d),
        }
    }
}

/// Judges the static hazard `rule` by what its statement did.
pub fn judge(rule: &str, trace: &StatementTrace) -> Verdict {
    let strongest = trace.locks.iter().max_by_key(|(_, mode)| strength(mode));
    let held = strongest.map(|(table, mode)| format!("{mode} on {table}")).unwrap_or_else(|| "no lock on an existing table".into());
    let by_lock = |needed: &str| match (trace.observed, strongest) {
        (false, _) => Verdict::NotObservable("its locks could not be read".into()),
        (true, Some((_, mode))) if strength(mode) >= strength(needed) => Verdict::Confirmed(held.clone()),
        (true, _) => Verdict::Disproved(format!("it took only {held}")),
    };
    match rule {
        "table-rewrite" if trace.rewritten.is_empty() => Verdict::Disproved("no table was rewritten".into()),
        "table-rewrite" => Verdict::Confirmed(format!("rewrote {}", trace.rewritten.join(", "))),
        "require-lock-timeout" => by_lock("ShareRowExclusiveLock"),
        "blocking-index" | "full-scan-under-lock" => by_lock("ShareLock"),
        _ => Verdict::NotObservable("a question for the code that runs against the database, not for the server".into()),
    }
}
