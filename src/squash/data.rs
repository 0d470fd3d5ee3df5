//! The rows the old chain leaves in the tables it keeps: they go into the baseline (a fresh
//! database must hold them as the old chain left them), made reproducible by pinning the clock
//! values the replay wrote, and digested so the fresh baseline can be compared with the chain.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::scripts::ScriptInput;
use crate::sql::{quote_ident, quote_literal};

/// Where clock values written during the replay are pinned, so the same chain gives the same
/// baseline whenever it is squashed.
pub const PINNED_INSTANT: &str = "2000-01-01 00:00:00+00";

/// The kept user relations (`r` tables, `S` sequences) as (schema, name, SQL name, kind): the
/// ledger, the backup schema and the backup tables left out.
async fn kept_relations(
    client: &Client,
    scripts: &ScriptInput<'_>,
) -> Result<Vec<(String, String, String, String)>, tokio_postgres::Error> {
    let left_out: Vec<(String, String)> = std::iter::once((scripts.ledger.schema.clone(), scripts.ledger.table.clone()))
        .chain(scripts.backups().into_iter().map(|t| (t.schema, t.name)))
        .collect();
    let relations = client
        .query(
            "SELECT n.nspname::text, c.relname::text, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
               AND n.nspname <> $1
             ORDER BY 3",
            &[&scripts.backup_schema()],
        )
        .await?;
    Ok(relations
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .filter(|(schema, name, _, _): &(String, String, String, String)| !left_out.contains(&(schema.clone(), name.clone())))
        .collect())
}

/// Sets every `timestamp` and `timestamptz` value written since `since` (the server's clock
/// when the replay began) to [`PINNED_INSTANT`], and today's `date` values in columns whose
/// default reads the clock, triggers off. Returns what was pinned
/// (`table.column: N row(s)`) and what could not be (a unique key, say), with why.
pub async fn pin_clock_values(client: &Client, scripts: &ScriptInput<'_>, since: &str) -> Result<Vec<String>, tokio_postgres::Error> {
    let tables: Vec<String> = kept_relations(client, scripts).await?.into_iter().filter(|r| r.3 == "r").map(|r| r.2).collect();
    let columns = client
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname::text, format_type(a.atttypid, a.atttypmod)
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
               AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND c.relkind = 'r'
               -- A date written today may be a literal: only a clock default makes it the replay's.
               AND (a.atttypid <> 'date'::regtype OR pg_get_expr(d.adbin, d.adrelid)
                    ~* '(now\\(|current_date|current_timestamp|localtimestamp|clock_timestamp|statement_timestamp|transaction_timestamp)')
             ORDER BY 1, a.attnum",
            &[],
        )
        .await?;
    let mut pinned = Vec::new();
    client.batch_execute("BEGIN").await?;
    if let Err(e) = client.batch_execute("SET LOCAL session_replication_role = replica").await {
        // Without it an UPDATE would fire triggers; leave the values as the replay wrote them.
        client.batch_execute("ROLLBACK").await?;
        return Ok(vec![format!("nothing pinned: triggers cannot be turned off for the update ({})", crate::report::with_causes(&e))]);
    }
    for r in columns {
        let (table, column, type_sql): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        if !tables.contains(&table) {
            continue;
        }
        let column_sql = quote_ident(&column);
        let update = format!(
            "UPDATE {table} SET {column_sql} = {pin}::{type_sql} WHERE {column_sql} BETWEEN {since}::timestamptz::{type_sql} AND now()::{type_sql}",
            pin = quote_literal(PINNED_INSTANT),
            since = quote_literal(since)
        );
        client.batch_execute("SAVEPOINT pin").await?;
        match client.execute(update.as_str(), &[]).await {
            Ok(0) => client.batch_execute("RELEASE SAVEPOINT pin").await?,
            Ok(rows) => {
                client.batch_execute("RELEASE SAVEPOINT pin").await?;
                pinned.push(format!("{table}.{column_sql}: {rows} row(s)"));
            }
            Err(e) => {
                client.batch_execute("ROLLBACK TO SAVEPOINT pin").await?;
                pinned.push(format!("{table}.{column_sql}: not pinned ({})", crate::report::with_causes(&e).replace('\n', " ")));
            }
        }
    }
    client.batch_execute("COMMIT").await?;
    Ok(pinned)
}

/// What a kept table holds, or where a kept sequence stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    /// A table: how many rows, and the md5 of their text in order (each row as JSON, its
    /// columns by name: the same whatever order the columns are in).
    Rows {
        /// The row count.
        count: i64,
        /// md5 of the rows' text, sorted.
        md5: String,
    },
    /// A sequence: its last value, and whether that value was handed out.
    Sequence {
        /// `last_value`.
        last_value: i64,
        /// `is_called`.
        called: bool,
    },
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contents::Rows { count, md5 } => write!(f, "{count} row(s), md5 {md5}"),
            Contents::Sequence { last_value, called } => write!(f, "{last_value}{}", if *called { " (called)" } else { "" }),
        }
    }
}

/// What each kept table holds and where each sequence stands, by SQL name: the ledger, the
/// backup schema and the backup tables left out.
pub async fn data_digest(client: &Client, scripts: &ScriptInput<'_>) -> Result<BTreeMap<String, Contents>, tokio_postgres::Error> {
    let mut digest = BTreeMap::new();
    for (_, _, sql, kind) in kept_relations(client, scripts).await? {
        let contents = if kind == "S" {
            let row = client.query_one(&format!("SELECT last_value, is_called FROM {sql}"), &[]).await?;
            Contents::Sequence { last_value: row.get("last_value"), called: row.get("is_called") }
        } else {
            let row = client
                .query_one(
                    &format!(
                        "SELECT count(*) AS count, md5(coalesce(string_agg(to_jsonb(t)::text, E'\\n' ORDER BY to_jsonb(t)::text), '')) AS md5 FROM {sql} t"
                    ),
                    &[],
                )
                .await?;
            Contents::Rows { count: row.get("count"), md5: row.get("md5") }
        };
        digest.insert(sql, contents);
    }
    Ok(digest)
}
