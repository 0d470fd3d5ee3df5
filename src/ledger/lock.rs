//! The migration lock: a session-level advisory lock, so that many replicas running `up` at
//! once apply every migration exactly once. dbmate has none.
//!
//! The key is [`LOCK_NAMESPACE`] with its low 32 bits replaced by the first four bytes of
//! blake3(`schema.table` of the ledger), so ledgers in one database do not block each other.

use std::time::{Duration, Instant};

use thiserror::Error;
use tokio_postgres::Client;

use super::table::LedgerTable;

/// High 32 bits of every squashmate lock key: ASCII "SQMT".
pub const LOCK_NAMESPACE: i64 = 0x5351_4D54_0000_0000;

/// The lock could not be taken.
#[derive(Debug, Error)]
pub enum LockError {
    /// Someone held it for longer than we were willing to wait.
    #[error(
        "the migration lock (advisory lock {key}) is still held by {holder} after {waited:?}; wait for that process to finish, or raise --lock-timeout"
    )]
    Timeout {
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

/// Takes the lock on `client`'s session, waiting up to `timeout`; `on_wait` is called once
/// with the holder's description when we have to wait.
pub async fn acquire(client: &Client, key: i64, timeout: Duration, mut on_wait: impl FnMut(&str)) -> Result<(), LockError> {
    let started = Instant::now();
    let mut told = false;
    loop {
        let got: bool = client.query_one("select pg_try_advisory_lock($1)", &[&key]).await?.get(0);
        if got {
            return Ok(());
        }
        let holder = holder(client, key).await?;
        if started.elapsed() >= timeout {
            return Err(LockError::Timeout { key, holder, waited: started.elapsed() });
        }
        if !told {
            on_wait(&holder);
            told = true;
        }
        tokio::time::sleep(Duration::from_millis(50).min(timeout.saturating_sub(started.elapsed()))).await;
    }
}

/// Releases the lock taken by [`acquire`] on the same session.
pub async fn release(client: &Client, key: i64) -> Result<(), LockError> {
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
