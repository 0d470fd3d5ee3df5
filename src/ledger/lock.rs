//! The migration lock: session-level advisory locks, so that many replicas running `up` at once
//! apply every migration exactly once — squashmate's own, and dbmate 2.37's, so that squashmate
//! and `dbmate --migration-lock` exclude each other too (a fleet moving from one to the other
//! runs both at once).
//!
//! squashmate's key is [`LOCK_NAMESPACE`] with its low 32 bits replaced by the first four bytes
//! of blake3(`schema.table` of the ledger), so ledgers in one database do not block each other.
//! dbmate's key is [`DBMATE_LOCK_KEY`], fixed whatever its `--migrations-table` says.

use std::time::{Duration, Instant};

use thiserror::Error;
use tokio_postgres::Client;

use super::table::LedgerTable;

/// High 32 bits of every squashmate lock key: ASCII "SQMT".
pub const LOCK_NAMESPACE: i64 = 0x5351_4D54_0000_0000;

/// The advisory lock dbmate 2.37 takes with `--migration-lock` (`pg_advisory_lock(48372615)` on
/// the connection that migrates, held until it closes).
pub const DBMATE_LOCK_KEY: i64 = 48_372_615;

/// The lock could not be taken.
#[derive(Debug, Error)]
pub enum LockError {
    /// Someone held it for longer than we were willing to wait.
    #[error(
        "{which} (advisory lock {key}) is still held by {holder} after {waited:?}; wait for that process to finish, or raise --lock-timeout (--migration-lock-timeout)"
    )]
    Timeout {
        /// Whose lock: squashmate's or dbmate's.
        which: &'static str,
        /// The key.
        key: i64,
        /// Who holds it.
        holder: String,
        /// How long we waited.
        waited: Duration,
    },
    /// A query failed.
    #[error("taking the migration lock: {0}")]
    Postgres(#[from] tokio_postgres::Error),
}

/// The advisory lock key for a ledger table.
pub fn lock_key(ledger: &LedgerTable) -> i64 {
    let hash = blake3::hash(format!("{}.{}", ledger.schema, ledger.table).as_bytes());
    let low = u32::from_be_bytes(hash.as_bytes()[..4].try_into().expect("four bytes"));
    LOCK_NAMESPACE | i64::from(low)
}

/// Whose lock a key is, for people.
fn whose(key: i64) -> &'static str {
    if key == DBMATE_LOCK_KEY { "dbmate's migration lock" } else { "squashmate's migration lock" }
}

/// Takes squashmate's lock `key`, then dbmate's, on `client`'s session, waiting up to `timeout`
/// in all (`Duration::MAX`: for ever); `on_wait` is called once per lock we have to wait for,
/// with whose lock it is and who holds it. Release both with [`release`].
pub async fn acquire(client: &Client, key: i64, timeout: Duration, mut on_wait: impl FnMut(&str)) -> Result<(), LockError> {
    let started = Instant::now();
    acquire_one(client, key, timeout, &mut on_wait).await?;
    let left = timeout.saturating_sub(started.elapsed());
    if let Err(e) = acquire_one(client, DBMATE_LOCK_KEY, left, &mut on_wait).await {
        client.query_one("select pg_advisory_unlock($1)", &[&key]).await?;
        return Err(e);
    }
    Ok(())
}

/// Takes one advisory lock, waiting up to `timeout`.
async fn acquire_one(client: &Client, key: i64, timeout: Duration, on_wait: &mut impl FnMut(&str)) -> Result<(), LockError> {
    let started = Instant::now();
    let mut told = false;
    loop {
        let got: bool = client.query_one("select pg_try_advisory_lock($1)", &[&key]).await?.get(0);
        if got {
            return Ok(());
        }
        let holder = holder(client, key).await?;
        if started.elapsed() >= timeout {
            return Err(LockError::Timeout { which: whose(key), key, holder, waited: started.elapsed() });
        }
        if !told {
            on_wait(&format!("{} (advisory lock {key}) held by {holder}", whose(key)));
            told = true;
        }
        tokio::time::sleep(Duration::from_millis(50).min(timeout.saturating_sub(started.elapsed()))).await;
    }
}

/// Releases the locks taken by [`acquire`] on the same session (dbmate's first).
pub async fn release(client: &Client, key: i64) -> Result<(), LockError> {
    client.query_one("select pg_advisory_unlock($1)", &[&DBMATE_LOCK_KEY]).await?;
    client.query_one("select pg_advisory_unlock($1)", &[&key]).await?;
    Ok(())
}

async fn holder(client: &Client, key: i64) -> Result<String, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "select l.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local') \
             from pg_locks l left join pg_stat_activity a on a.pid = l.pid \
             where l.locktype = 'advisory' and l.granted and l.objsubid = 1 \
             and ((l.classid::bigint << 32) | l.objid::bigint) = $1 limit 1",
            &[&key],
        )
        .await?;
    Ok(match row {
        Some(r) => format!("backend pid {} ({} from {})", r.get::<_, i32>(0), r.get::<_, String>(1), r.get::<_, String>(2)),
        None => "another session".into(),
    })
}
