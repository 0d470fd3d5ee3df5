//! Reads a live database into a [`Catalog`]: one read-only repeatable-read snapshot, settings
//! pinned so every `pg_get_*def` prints the same way in every session, one query per kind.

use std::collections::BTreeMap;

use tokio_postgres::{Client, SimpleQueryMessage};

use super::model::{Catalog, Object};
use super::queries;
use crate::ledger::LedgerTable;

/// What to read.
#[derive(Debug, Clone)]
pub struct IntrospectOptions {
    /// The ledger table's name, left out (default `schema_migrations`).
    pub ledger_table: String,
    /// Also read grants and default privileges.
    pub privileges: bool,
}

impl Default for IntrospectOptions {
    fn default() -> Self {
        IntrospectOptions { ledger_table: "schema_migrations".into(), privileges: false }
    }
}

const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL search_path = ''; SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres';
SET LOCAL extra_float_digits = 3; SET LOCAL TimeZone = 'UTC'; SET LOCAL bytea_output = 'hex';
SET LOCAL quote_all_identifiers = off; SET LOCAL row_security = off; SET LOCAL jit = off";

async fn rows(client: &Client, sql: &str) -> Result<Vec<Vec<String>>, tokio_postgres::Error> {
    Ok(client
        .simple_query(sql)
        .await?
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some((0..row.len()).map(|i| row.get(i).unwrap_or("").to_string()).collect()),
            _ => None,
        })
        .collect())
}

fn props(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.to_string())).collect()
}

/// The path kind of a relation.
fn relation_kind(relkind: &str) -> &'static str {
    match relkind {
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        "c" => "composite type",
        _ => "table",
    }
}

fn object(kind: &'static str, parent: Option<String>, name: &str, props: BTreeMap<&'static str, String>) -> Object {
    Object { kind, parent, name: name.to_string(), definition_key: None, props }
}

/// Reads the schema of the database `client` is connected to. The ledger table left out is
/// the one dbmate would use in this session (its schema resolved as dbmate resolves it); a
/// table of that name in another schema is the user's and is read.
pub async fn introspect(client: &Client, options: &IntrospectOptions) -> Result<Catalog, tokio_postgres::Error> {
    let ledger = LedgerTable::resolve(client, &options.ledger_table, &[]).await?;
    client.batch_execute(SNAPSHOT).await?;
    let result = read_all(client, options, &ledger).await;
    let _ = client.batch_execute("ROLLBACK").await;
    result
}

async fn read_all(client: &Client, options: &IntrospectOptions, ledger: &LedgerTable) -> Result<Catalog, tokio_postgres::Error> {
    let mut catalog = Catalog {
        server_version_num: client.query_one("SELECT current_setting('server_version_num')::int", &[]).await?.get(0),
        ..Catalog::default()
    };
    for r in rows(client, &queries::schemas()).await? {
        catalog.insert(object("schema", None, &r[0], props(&[("comment", &r[1])])));
    }
    for r in rows(client, queries::EXTENSIONS).await? {
        catalog.insert(object("extension", None, &r[0], props(&[("version", &r[1]), ("schema", &r[2])])));
    }
    let mut relation_paths: BTreeMap<String, String> = BTreeMap::new();
    for r in rows(client, &queries::relations(ledger)).await? {
        let kind = relation_kind(&r[1]);
        let persistence = if r[2] == "u" { "unlogged" } else { "" };
        let partitioned = if r[1] == "p" { "true" } else { "" };
        let table_only = |v: &'static str| if kind == "table" { v } else { "" };
        let (rls, force) = (if r[6] == "true" { "enabled" } else { "" }, if r[7] == "true" { "forced" } else { "" });
        let replica = if kind == "table" && r[8] != "d" { r[8].as_str() } else { "" };
        let p = props(&[
            ("persistence", persistence),
            ("partitioned", partitioned),
            ("partition key", &r[3]),
            ("partition bound", &r[4]),
            ("inherits", &r[5]),
            ("row level security", table_only(rls)),
            ("force row level security", table_only(force)),
            ("replica identity", replica),
            ("definition", &r[9]),
            ("options", &r[10]),
            ("comment", &r[11]),
        ]);
        let obj = object(kind, None, &r[0], p);
        relation_paths.insert(r[0].clone(), obj.path());
        catalog.insert(obj);
    }
    // Serial defaults name their sequence, which keeps an old table's name after a rename:
    // replace the name of a sequence owned by the very column.
    let owned: BTreeMap<(String, String), String> =
        rows(client, queries::OWNED_SEQUENCES).await?.into_iter().map(|r| ((r[2].clone(), r[3].clone()), r[0].clone())).collect();
    for r in rows(client, &queries::columns(ledger)).await? {
        let parent = relation_paths.get(&r[0]).cloned().unwrap_or_else(|| format!("{} {}", relation_kind(&r[1]), r[0]));
        let mut default = r[5].clone();
        if let Some(seq) = owned.get(&(r[0].clone(), r[2].clone())) {
            default = default.replace(&format!("'{seq}'::regclass"), "<sequence owned by this column>");
        }
        let is_table = matches!(r[1].as_str(), "r" | "p" | "f");
        let not_null = if is_table && r[4] == "true" {
            "not null"
        } else if is_table {
            "nullable"
        } else {
            ""
        };
        let identity = match r[6].as_str() {
            "a" => format!("always ({})", r[11]),
            "d" => format!("by default ({})", r[11]),
            _ => String::new(),
        };
        let p = props(&[
            ("type", &r[3]),
            ("nullability", not_null),
            ("default", &default),
            ("identity", &identity),
            ("generated", &r[7]),
            ("collation", &r[8]),
            ("position", &r[9]),
            ("comment", &r[10]),
        ]);
        catalog.insert(object("column", Some(parent), &r[2], p));
    }
    let table_path = |name: &str| relation_paths.get(name).cloned().unwrap_or_else(|| format!("table {name}"));
    for r in rows(client, &queries::constraints(ledger)).await? {
        let mut obj = object("constraint", Some(table_path(&r[0])), &r[1], props(&[("definition", &r[3]), ("comment", &r[4])]));
        obj.definition_key = Some(r[3].clone());
        catalog.insert(obj);
    }
    for r in rows(client, &queries::indexes(ledger)).await? {
        let valid = if r[3] == "true" { "valid" } else { "INVALID (a failed CREATE INDEX CONCURRENTLY?)" };
        let mut obj =
            object("index", Some(table_path(&r[0])), &r[1], props(&[("definition", &r[2]), ("validity", valid), ("comment", &r[4])]));
        obj.definition_key = Some(r[2].clone());
        catalog.insert(obj);
    }
    for r in rows(client, &queries::sequences()).await? {
        let params = format!("{} start {} increment {} min {} max {} cache {} cycle {}", r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
        let p = props(&[("parameters", &params), ("owned by", &r[8]), ("comment", &r[9])]);
        let mut obj = object("sequence", None, &r[0], p);
        if !r[8].is_empty() {
            // Owned sequences are known by their column: their names follow old table names.
            obj.name = format!("owned by {}", r[8]);
            obj.definition_key = Some(r[8].clone());
        }
        catalog.insert(obj);
    }
    for r in rows(client, &queries::functions()).await? {
        let kind = if r[1] == "p" { "procedure" } else { "function" };
        catalog.insert(object(kind, None, &r[0], props(&[("result", &r[2]), ("definition", &r[3]), ("comment", &r[4])])));
    }
    for r in rows(client, &queries::triggers()).await? {
        let enabled = match r[3].as_str() {
            "O" => "enabled",
            "D" => "DISABLED",
            "R" => "replica only",
            _ => "always",
        };
        catalog.insert(object(
            "trigger",
            Some(table_path(&r[0])),
            &r[1],
            props(&[("definition", &r[2]), ("enabled", enabled), ("comment", &r[4])]),
        ));
    }
    for r in rows(client, &queries::types()).await? {
        let (kind, p) = match r[1].as_str() {
            "e" => ("enum", props(&[("labels", &r[2]), ("comment", &r[6])])),
            "d" => {
                let not_null = if r[3] == "true" { "not null" } else { "" };
                (
                    "domain",
                    props(&[("base type", &r[2]), ("not null", not_null), ("default", &r[4]), ("constraints", &r[5]), ("comment", &r[6])]),
                )
            }
            _ => ("range type", props(&[("subtype", &r[2]), ("comment", &r[6])])),
        };
        catalog.insert(object(kind, None, &r[0], p));
    }
    for r in rows(client, queries::POLICIES).await? {
        let permissive = if r[3] == "true" { "permissive" } else { "restrictive" };
        let p = props(&[("command", &r[2]), ("mode", permissive), ("roles", &r[4]), ("using", &r[5]), ("with check", &r[6])]);
        catalog.insert(object("policy", Some(table_path(&r[0])), &r[1], p));
    }
    for r in rows(client, queries::RULES).await? {
        catalog.insert(object("rule", Some(table_path(&r[0])), &r[1], props(&[("definition", &r[2]), ("enabled", &r[3])])));
    }
    for r in rows(client, queries::PUBLICATIONS).await? {
        catalog.insert(object("publication", None, &r[0], props(&[("all tables", &r[1]), ("actions", &r[2]), ("tables", &r[3])])));
    }
    for r in rows(client, queries::EVENT_TRIGGERS).await? {
        catalog.insert(object(
            "event trigger",
            None,
            &r[0],
            props(&[("event", &r[1]), ("function", &r[2]), ("enabled", &r[3]), ("tags", &r[4])]),
        ));
    }
    for r in rows(client, &queries::statistics()).await? {
        catalog.insert(object("statistics", None, &r[0], props(&[("definition", &r[1])])));
    }
    for r in rows(client, &queries::collations()).await? {
        let p = props(&[("provider", &r[1]), ("collate", &r[2]), ("ctype", &r[3]), ("deterministic", &r[4])]);
        catalog.insert(object("collation", None, &r[0], p));
    }
    for r in rows(client, &queries::casts()).await? {
        catalog.insert(object("cast", None, &format!("({})", r[0]), props(&[("function", &r[1]), ("context", &r[2]), ("method", &r[3])])));
    }
    for r in rows(client, &queries::operators()).await? {
        catalog.insert(object("operator", None, &r[0], props(&[("function", &r[1]), ("commutator", &r[2]), ("negator", &r[3])])));
    }
    for r in rows(client, &queries::foreign_servers()).await? {
        let object = if r[0] == "w" {
            object("foreign data wrapper", None, &r[1], props(&[("handler", &r[2]), ("validator", &r[3]), ("options", &r[4])]))
        } else {
            object("server", None, &r[1], props(&[("wrapper", &r[2]), ("type", &r[3]), ("version", &r[4]), ("options", &r[5])]))
        };
        catalog.insert(object);
    }
    if options.privileges {
        for r in rows(client, &queries::privileges()).await? {
            catalog.insert(object("grants", None, &r[0], props(&[("privileges", &r[1])])));
        }
    }
    Ok(catalog)
}
