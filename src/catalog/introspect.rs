//! Reads a live database into a [`Catalog`]: one read-only repeatable-read snapshot, settings
//! pinned so every `pg_get_*def` prints the same way in every session, one query per kind.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::kind::{Kind, Parent};
use super::model::{Catalog, Object};
use super::queries;
use super::text_rows::{TextRow, text_rows};
use crate::ledger::LedgerTable;

/// What to read.
#[derive(Debug, Clone)]
pub struct IntrospectOptions {
    /// The ledger table's name, left out (default `schema_migrations`).
    pub ledger_table: String,
    /// Also read grants, default privileges and owners (where the owner is not the reading
    /// role).
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

fn props(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.to_string())).collect()
}

/// The path kind of a relation.
fn relation_kind(relkind: &str) -> Kind {
    match relkind {
        "v" => Kind::View,
        "m" => Kind::MaterializedView,
        "f" => Kind::ForeignTable,
        "c" => Kind::CompositeType,
        _ => Kind::Table,
    }
}

fn object(kind: Kind, parent: Option<Parent>, name: &str, props: BTreeMap<&'static str, String>) -> Object {
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

/// Qualified relation names to what they are (`table public.t`, `view public.v`).
type RelationPaths = BTreeMap<String, Parent>;

async fn read_all(client: &Client, options: &IntrospectOptions, ledger: &LedgerTable) -> Result<Catalog, tokio_postgres::Error> {
    let mut catalog = Catalog {
        server_version_num: client.query_one("SELECT current_setting('server_version_num')::int", &[]).await?.get(0),
        ..Catalog::default()
    };
    for r in text_rows(client, &queries::schemas()).await? {
        catalog.insert(object(Kind::Schema, None, r.get("name"), props(&[("comment", r.get("comment"))])));
    }
    for r in text_rows(client, queries::EXTENSIONS).await? {
        catalog.insert(object(Kind::Extension, None, r.get("name"), props(&[("version", r.get("version")), ("schema", r.get("schema"))])));
    }
    let relations = read_relations(client, ledger, &mut catalog).await?;
    read_columns(client, ledger, &relations, &mut catalog).await?;
    read_table_parts(client, ledger, &relations, &mut catalog).await?;
    read_routines_and_types(client, &mut catalog).await?;
    read_server_wide(client, &mut catalog).await?;
    if options.privileges {
        for r in text_rows(client, &queries::privileges()).await? {
            // Only what differs from the default: nobody but the owner, or (routines) everyone
            // may execute. A routine nobody else may execute says `none`.
            let (name, privileges) = (r.get("object"), r.get("privileges"));
            let everyone = if name.starts_with("function ") || name.starts_with("procedure ") {
                Some("public:EXECUTE")
            } else if name.starts_with("type ") {
                Some("public:USAGE")
            } else {
                None
            };
            // initdb's privileges on public: everyone may use it (and, before 15, create in it).
            let initdb_public = if catalog.server_version_num >= 150000 { "public:USAGE" } else { "public:CREATE, public:USAGE" };
            if name == "schema public" && privileges == initdb_public {
                continue;
            }
            let privileges = match (everyone, privileges) {
                (None, "") => continue,
                (Some(default), listed) if listed == default => continue,
                (Some(_), "") => "none",
                (_, listed) => listed,
            };
            catalog.insert(object(Kind::Grants, None, name, props(&[("privileges", privileges)])));
        }
        for r in text_rows(client, &queries::owners()).await? {
            catalog.insert(object(Kind::Owner, None, r.get("object"), props(&[("owner", r.get("owner"))])));
        }
    }
    Ok(catalog)
}

/// Tables, views, materialized views and composite types.
async fn read_relations(client: &Client, ledger: &LedgerTable, catalog: &mut Catalog) -> Result<RelationPaths, tokio_postgres::Error> {
    let mut paths = RelationPaths::new();
    for r in text_rows(client, &queries::relations(ledger)).await? {
        let kind = relation_kind(r.get("relkind"));
        let table_only = |v: &'static str| if kind == Kind::Table { v } else { "" };
        let is = |column: &str, value: &str| r.get(column) == value;
        let replica = if kind == Kind::Table && !is("replica_identity", "d") { r.get("replica_identity") } else { "" };
        let p = props(&[
            ("persistence", if is("persistence", "u") { "unlogged" } else { "" }),
            ("partitioned", if is("relkind", "p") { "true" } else { "" }),
            ("partition key", r.get("partition_key")),
            ("partition bound", r.get("partition_bound")),
            ("inherits", r.get("inherits")),
            ("row level security", table_only(if is("row_security", "true") { "enabled" } else { "" })),
            ("force row level security", table_only(if is("force_row_security", "true") { "forced" } else { "" })),
            ("replica identity", replica),
            ("definition", r.get("definition")),
            ("options", r.get("options")),
            ("comment", r.get("comment")),
            ("server", r.get("foreign_server")),
            ("foreign options", r.get("foreign_options")),
        ]);
        paths.insert(r.text("name"), Parent { kind, name: r.text("name") });
        let obj = object(kind, None, r.get("name"), p);
        catalog.insert(obj);
    }
    Ok(paths)
}

/// Columns of every relation. Serial defaults name their sequence, which keeps an old table's
/// name after a rename: the name of a sequence owned by the very column is replaced.
async fn read_columns(
    client: &Client,
    ledger: &LedgerTable,
    relations: &RelationPaths,
    catalog: &mut Catalog,
) -> Result<(), tokio_postgres::Error> {
    let owned: BTreeMap<(String, String), String> = text_rows(client, queries::OWNED_SEQUENCES)
        .await?
        .into_iter()
        .map(|r| ((r.text("relation"), r.text("column")), r.text("sequence")))
        .collect();
    for r in text_rows(client, &queries::columns(ledger)).await? {
        let relation = r.get("relation");
        let parent = relations
            .get(relation)
            .cloned()
            .unwrap_or_else(|| Parent { kind: relation_kind(r.get("relkind")), name: relation.to_string() });
        let mut default = r.text("default");
        if let Some(seq) = owned.get(&(relation.to_string(), r.text("name"))) {
            default = default.replace(&format!("'{seq}'::regclass"), "<sequence owned by this column>");
        }
        let is_table = matches!(r.get("relkind"), "r" | "p" | "f");
        let not_null = match (is_table, r.get("not_null")) {
            (true, "true") => "not null",
            (true, _) => "nullable",
            _ => "",
        };
        let identity = match r.get("identity") {
            "a" => format!("always ({})", r.get("identity_sequence")),
            "d" => format!("by default ({})", r.get("identity_sequence")),
            _ => String::new(),
        };
        let p = props(&[
            ("type", r.get("type")),
            ("nullability", not_null),
            ("default", &default),
            ("identity", &identity),
            ("generated", r.get("generated")),
            ("collation", r.get("collation")),
            ("position", r.get("position")),
            ("comment", r.get("comment")),
            ("not null name", r.get("not_null_name")),
        ]);
        catalog.insert(object(Kind::Column, Some(parent), r.get("name"), p));
    }
    Ok(())
}

/// What hangs off a table: constraints, indexes, triggers, policies, rules.
async fn read_table_parts(
    client: &Client,
    ledger: &LedgerTable,
    relations: &RelationPaths,
    catalog: &mut Catalog,
) -> Result<(), tokio_postgres::Error> {
    let parent = |r: &TextRow| {
        let name = r.get("relation");
        Some(relations.get(name).cloned().unwrap_or_else(|| Parent { kind: Kind::Table, name: name.to_string() }))
    };
    for r in text_rows(client, &queries::constraints(ledger)).await? {
        let mut obj = object(
            Kind::Constraint,
            parent(&r),
            r.get("name"),
            props(&[("definition", r.get("definition")), ("comment", r.get("comment"))]),
        );
        obj.definition_key = Some(r.text("definition"));
        catalog.insert(obj);
    }
    for r in text_rows(client, &queries::indexes(ledger)).await? {
        let valid = if r.get("valid") == "true" { "valid" } else { "INVALID (a failed CREATE INDEX CONCURRENTLY?)" };
        let p = props(&[("definition", r.get("definition")), ("validity", valid), ("comment", r.get("comment"))]);
        let mut obj = object(Kind::Index, parent(&r), r.get("name"), p);
        obj.definition_key = Some(r.text("definition"));
        catalog.insert(obj);
    }
    for r in text_rows(client, &queries::triggers()).await? {
        let enabled = match r.get("enabled") {
            "O" => "enabled",
            "D" => "DISABLED",
            "R" => "replica only",
            _ => "always",
        };
        let p = props(&[("definition", r.get("definition")), ("enabled", enabled), ("comment", r.get("comment"))]);
        catalog.insert(object(Kind::Trigger, parent(&r), r.get("name"), p));
    }
    for r in text_rows(client, &queries::policies()).await? {
        let mode = if r.get("permissive") == "true" { "permissive" } else { "restrictive" };
        let p = props(&[
            ("command", r.get("command")),
            ("mode", mode),
            ("roles", r.get("roles")),
            ("using", r.get("using")),
            ("with check", r.get("with_check")),
        ]);
        catalog.insert(object(Kind::Policy, parent(&r), r.get("name"), p));
    }
    for r in text_rows(client, &queries::rules()).await? {
        catalog.insert(object(
            Kind::Rule,
            parent(&r),
            r.get("name"),
            props(&[("definition", r.get("definition")), ("enabled", r.get("enabled"))]),
        ));
    }
    Ok(())
}

/// Sequences, functions and procedures, enums, domains and range types.
async fn read_routines_and_types(client: &Client, catalog: &mut Catalog) -> Result<(), tokio_postgres::Error> {
    for r in text_rows(client, &queries::sequences()).await? {
        let params = format!(
            "{} start {} increment {} min {} max {} cache {} cycle {}",
            r.get("type"),
            r.get("start"),
            r.get("increment"),
            r.get("min"),
            r.get("max"),
            r.get("cache"),
            r.get("cycle")
        );
        let owned_by = r.get("owned_by");
        let mut obj = object(
            Kind::Sequence,
            None,
            r.get("name"),
            props(&[("parameters", &params), ("owned by", owned_by), ("comment", r.get("comment"))]),
        );
        if !owned_by.is_empty() {
            // Owned sequences are known by their column: their names follow old table names.
            obj.name = format!("owned by {owned_by}");
            obj.definition_key = Some(owned_by.to_string());
        }
        catalog.insert(obj);
    }
    for r in text_rows(client, &queries::functions()).await? {
        let kind = if r.get("prokind") == "p" { Kind::Procedure } else { Kind::Function };
        let p = props(&[("result", r.get("result")), ("definition", r.get("definition")), ("comment", r.get("comment"))]);
        catalog.insert(object(kind, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::aggregates()).await? {
        let p = props(&[("definition", r.get("definition")), ("comment", r.get("comment"))]);
        catalog.insert(object(Kind::Aggregate, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::types()).await? {
        let (kind, p) = match r.get("typtype") {
            "e" => (Kind::Enum, props(&[("labels", r.get("base")), ("comment", r.get("comment"))])),
            "d" => (
                Kind::Domain,
                props(&[
                    ("base type", r.get("base")),
                    ("not null", if r.get("not_null") == "true" { "not null" } else { "" }),
                    ("default", r.get("default")),
                    ("constraints", r.get("constraints")),
                    ("comment", r.get("comment")),
                ]),
            ),
            _ => (Kind::RangeType, props(&[("subtype", r.get("base")), ("comment", r.get("comment"))])),
        };
        catalog.insert(object(kind, None, r.get("name"), p));
    }
    Ok(())
}

/// Objects not inside a schema's tables: publications, event triggers, statistics, collations,
/// casts, operators, foreign-data wrappers and servers.
async fn read_server_wide(client: &Client, catalog: &mut Catalog) -> Result<(), tokio_postgres::Error> {
    for r in text_rows(client, queries::PUBLICATIONS).await? {
        let p = props(&[("all tables", r.get("all_tables")), ("actions", r.get("actions")), ("tables", r.get("tables"))]);
        catalog.insert(object(Kind::Publication, None, r.get("name"), p));
    }
    for r in text_rows(client, queries::EVENT_TRIGGERS).await? {
        let p =
            props(&[("event", r.get("event")), ("function", r.get("function")), ("enabled", r.get("enabled")), ("tags", r.get("tags"))]);
        catalog.insert(object(Kind::EventTrigger, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::statistics()).await? {
        catalog.insert(object(Kind::Statistics, None, r.get("name"), props(&[("definition", r.get("definition"))])));
    }
    for r in text_rows(client, &queries::collations()).await? {
        let p = props(&[
            ("provider", r.get("provider")),
            ("collate", r.get("collate")),
            ("ctype", r.get("ctype")),
            ("deterministic", r.get("deterministic")),
        ]);
        catalog.insert(object(Kind::Collation, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::casts()).await? {
        let p = props(&[("function", r.get("function")), ("context", r.get("context")), ("method", r.get("method"))]);
        catalog.insert(object(Kind::Cast, None, &format!("({})", r.get("name")), p));
    }
    for r in text_rows(client, &queries::operators()).await? {
        let p = props(&[("function", r.get("function")), ("commutator", r.get("commutator")), ("negator", r.get("negator"))]);
        catalog.insert(object(Kind::Operator, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::foreign_servers()).await? {
        let (handler_or_wrapper, validator_or_type) = (r.get("handler_or_wrapper"), r.get("validator_or_type"));
        let object = if r.get("kind") == "w" {
            let p = props(&[("handler", handler_or_wrapper), ("validator", validator_or_type), ("options", r.get("options"))]);
            object(Kind::ForeignDataWrapper, None, r.get("name"), p)
        } else {
            let p = props(&[
                ("wrapper", handler_or_wrapper),
                ("type", validator_or_type),
                ("version", r.get("version")),
                ("options", r.get("options")),
            ]);
            object(Kind::Server, None, r.get("name"), p)
        };
        catalog.insert(object);
    }
    Ok(())
}
