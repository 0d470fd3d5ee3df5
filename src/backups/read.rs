//! Reads every squash's record of what it kept from a live database, with what is there now:
//! rows and size of each backup, and whether the ledger (and the backups) still allow that
//! squash's rollback — decided by the same SQL the rollback's preflight runs.

use std::time::Duration;

use serde::Serialize;
use tokio_postgres::Client;

use crate::catalog::{Kind, LeftOut, ObjectPath};
use crate::ledger::LedgerTable;
use crate::squash::{RECORD_MARK, TableName, squashed_sql};

/// What a kept object was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeptKind {
    /// A retired table, moved aside whole.
    Table,
    /// A retired column, its values saved with the row key.
    Column,
}

/// Where a kept object stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum KeptState {
    /// The backup is there.
    Kept {
        /// Its rows.
        rows: i64,
        /// `pg_total_relation_size`.
        bytes: i64,
        /// The same, as `pg_size_pretty` prints it.
        size: String,
    },
    /// `backups restore` put it back.
    Restored {
        /// When (UTC).
        at: String,
    },
    /// The record names it but the backup is gone (dropped by hand).
    Missing,
}

/// One retired table or column the surgery kept.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    /// What it was.
    pub kind: KeptKind,
    /// Its name before the surgery (`schema.table` or `schema.table.column`, quoted as SQL).
    pub original: String,
    /// The backup table (quoted as SQL).
    pub backup: String,
    /// A column's row key, the columns its values are saved with.
    pub row_key: Vec<String>,
    /// Where it stands.
    #[serde(flatten)]
    pub state: KeptState,
    /// The script that puts it back (written by the surgery).
    #[serde(skip)]
    pub restore_script: String,
}

/// What one squash's surgery kept, and whether its rollback is still possible.
#[derive(Debug, Clone, Serialize)]
pub struct SquashBackups {
    /// The record table.
    #[serde(serialize_with = "as_sql")]
    pub record: TableName,
    /// The baseline the surgery moved the database onto.
    pub baseline_version: String,
    /// The versions it squashed.
    pub squashed_versions: Vec<String>,
    /// When the surgery ran (UTC).
    pub made_at: String,
    /// How long ago, by the server's clock.
    #[serde(rename = "age_seconds", serialize_with = "as_seconds")]
    pub age: Duration,
    /// The ledger is where the surgery left it and every backup is in place: the rollback
    /// script would run, and needs every backup.
    pub rollback_possible: bool,
    /// What it kept.
    pub kept: Vec<Kept>,
}

impl SquashBackups {
    /// Whether the record is a schema style one (inside the backup schema, which goes with it).
    pub fn in_backup_schema(&self) -> bool {
        self.record.name == crate::squash::RECORD_IN_SCHEMA
    }

    /// The backups still kept.
    pub fn still_kept(&self) -> impl Iterator<Item = &Kept> {
        self.kept.iter().filter(|k| matches!(k.state, KeptState::Kept { .. }))
    }
}

fn as_sql<S: serde::Serializer>(table: &TableName, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&table.readable())
}

fn as_seconds<S: serde::Serializer>(age: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(age.as_secs())
}

/// What a comparison of the live database with its migrations leaves out: every record, the
/// backups still kept, and (schema style) the backup schema — made by surgeries, in no migration.
pub fn left_out(squashes: &[SquashBackups]) -> LeftOut {
    let mut out = LeftOut::nothing();
    for squash in squashes {
        out.tables.push(ObjectPath::top(Kind::Table, squash.record.readable()));
        out.tables.extend(squash.still_kept().map(|k| ObjectPath::top(Kind::Table, k.backup.clone())));
        if squash.in_backup_schema() {
            out.schemas.push(squash.record.schema.clone());
        }
    }
    out
}

/// SQL that is true while a squash's rollback would run (and so needs its backups): the `ledger`
/// (which must exist) is where its surgery left it — the rollback's own preflight condition —
/// and every backup its `record` lists is in place, none restored.
pub fn rollback_possible_sql(ledger: &LedgerTable, record: &TableName, baseline_version: &str, squashed: &[String]) -> String {
    format!(
        "{} AND NOT EXISTS (SELECT 1 FROM {} WHERE restored_at IS NOT NULL OR to_regclass(backup) IS NULL)",
        squashed_sql(&ledger.qualified(), baseline_version, squashed),
        record.sql()
    )
}

/// What looks like a squash's backup but no record lists (made before surgeries kept records,
/// or moved by hand): `squashmate_backup_<date>` schemas without a record, and
/// `…_squashed_<date>` tables outside every record — named so people can look, never dropped.
pub async fn unrecorded_backups(client: &Client, recorded: &[SquashBackups]) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT format('schema %s', quote_ident(n.nspname)) FROM pg_catalog.pg_namespace n
             WHERE n.nspname ~ '^squashmate_backup_[0-9]{8}$'
             UNION ALL
             SELECT format('table %s.%s', quote_ident(n.nspname), quote_ident(c.relname)) FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND c.relname ~ '_squashed_[0-9]{8}$'
             ORDER BY 1",
            &[],
        )
        .await?;
    let known: Vec<String> = recorded
        .iter()
        .flat_map(|s| {
            let schema = s.in_backup_schema().then(|| format!("schema {}", crate::sql::quote_ident_if_needed(&s.record.schema)));
            s.kept.iter().map(|k| format!("table {}", k.backup)).chain(schema)
        })
        .collect();
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).filter(|found| !known.contains(found)).collect())
}

/// Every squash's record in the database, oldest first; `ledger` is the ledger table the
/// rollbacks would change.
pub async fn read_backups(client: &Client, ledger: &LedgerTable) -> Result<Vec<SquashBackups>, tokio_postgres::Error> {
    let records = client
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND starts_with(coalesce(obj_description(c.oid, 'pg_class'), ''), $1)
             ORDER BY 1, 2",
            &[&RECORD_MARK],
        )
        .await?;
    let ledger_exists: bool = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&ledger.qualified()]).await?.get(0);
    let mut out = Vec::new();
    for row in records {
        let record = TableName { schema: row.get(0), name: row.get(1) };
        if let Some(squash) = read_record(client, record, ledger, ledger_exists).await? {
            out.push(squash);
        }
    }
    out.sort_by(|a, b| b.age.cmp(&a.age).then_with(|| a.record.cmp(&b.record)));
    Ok(out)
}

async fn read_record(
    client: &Client,
    record: TableName,
    ledger: &LedgerTable,
    ledger_exists: bool,
) -> Result<Option<SquashBackups>, tokio_postgres::Error> {
    let rows = client
        .query(
            &format!(
                "SELECT kind, original, backup, row_key, baseline_version, squashed_versions,
                        to_char(made_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC',
                        extract(epoch FROM now() - made_at)::float8,
                        to_char(restored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC',
                        to_regclass(backup)::text, restore_script
                 FROM {} ORDER BY kind DESC, original",
                record.sql()
            ),
            &[],
        )
        .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let baseline_version: String = first.get(4);
    let squashed_versions: Vec<String> = first.get(5);
    let made_at: String = first.get(6);
    let age = Duration::from_secs_f64(first.get::<_, f64>(7).max(0.0));
    let mut kept = Vec::new();
    for row in &rows {
        let backup: String = row.get(2);
        let restored_at: Option<String> = row.get(8);
        // The server's own spelling of the backup's name (quoted where needed), not the record's text.
        let state = match (restored_at, row.get::<_, Option<String>>(9)) {
            (Some(at), _) => KeptState::Restored { at },
            (None, None) => KeptState::Missing,
            (None, Some(present)) => {
                let size = client
                    .query_one(
                        &format!(
                            "SELECT count(*), pg_total_relation_size($1::text::regclass), pg_size_pretty(pg_total_relation_size($1::text::regclass)) FROM {present}"
                        ),
                        &[&present],
                    )
                    .await?;
                KeptState::Kept { rows: size.get(0), bytes: size.get(1), size: size.get(2) }
            }
        };
        let kind = if row.get::<_, String>(0) == "table" { KeptKind::Table } else { KeptKind::Column };
        kept.push(Kept { kind, original: row.get(1), backup, row_key: row.get(3), state, restore_script: row.get(10) });
    }
    let rollback_possible = if ledger_exists {
        let sql = format!("SELECT {}", rollback_possible_sql(ledger, &record, &baseline_version, &squashed_versions));
        client.query_one(&sql, &[]).await?.get(0)
    } else {
        false
    };
    Ok(Some(SquashBackups { record, baseline_version, squashed_versions, made_at, age, rollback_possible, kept }))
}
