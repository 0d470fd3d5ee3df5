//! Reads a live database into a [`Catalog`]: one read-only repeatable-read snapshot, settings
//! pinned so every `pg_get_*def` prints the same way in every session, one query per kind.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::granted::Granted;
use super::kind::{Kind, Parent};
use super::model::{Catalog, Object};
use super::prop::{IdentitySpec, Prop, SequenceOptions, Value};
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

/// Properties that are their text, those with an empty text left out.
fn props(pairs: &[(Prop, &str)]) -> BTreeMap<Prop, Value> {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, Value::text(*v))).collect()
}

/// Adds a value read into its parts, unless its text is empty.
fn with(mut props: BTreeMap<Prop, Value>, prop: Prop, value: Value) -> BTreeMap<Prop, Value> {
    if !value.as_str().is_empty() {
        props.insert(prop, value);
    }
    props
}

/// The items of a JSON array of strings a query returns (a text that is not one, as one item:
/// shown, never lost).
fn json_items(listed: &str) -> Vec<String> {
    serde_json::from_str::<Option<Vec<String>>>(listed).map_or_else(|_| vec![listed.to_string()], Option::unwrap_or_default)
}

/// `name=value` options from a JSON array of them (`reloptions`, `ftoptions`, `srvoptions`).
fn json_options(listed: &str) -> Value {
    Value::options(
        json_items(listed)
            .into_iter()
            .map(|o| match o.split_once('=') {
                Some((name, value)) => (name.to_string(), value.to_string()),
                None => (o, String::new()),
            })
            .collect(),
    )
}

/// A sequence's options from the columns `start`, `increment`, `min`, `max`, `cache`, `cycle`
/// (None where one does not read, which the catalog never gives).
fn sequence_options(value: impl Fn(&str) -> Option<String>) -> Option<SequenceOptions> {
    let number = |column: &str| value(column)?.parse::<i64>().ok();
    Some(SequenceOptions {
        start: number("start")?,
        increment: number("increment")?,
        min: number("min")?,
        max: number("max")?,
        cache: number("cache")?,
        cycle: value("cycle")? == "true",
    })
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

fn object(kind: Kind, parent: Option<Parent>, name: &str, props: BTreeMap<Prop, Value>) -> Object {
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
        catalog.insert(object(Kind::Schema, None, r.get("name"), props(&[(Prop::Comment, r.get("comment"))])));
    }
    for r in text_rows(client, queries::EXTENSIONS).await? {
        catalog.insert(object(
            Kind::Extension,
            None,
            r.get("name"),
            props(&[(Prop::Version, r.get("version")), (Prop::Schema, r.get("schema"))]),
        ));
    }
    let relations = read_relations(client, ledger, &mut catalog).await?;
    read_columns(client, ledger, &relations, &mut catalog).await?;
    read_table_parts(client, ledger, &relations, &mut catalog).await?;
    read_routines_and_types(client, &mut catalog).await?;
    read_server_wide(client, &mut catalog).await?;
    catalog.uses = text_rows(client, &queries::dependencies()).await?.into_iter().map(|r| (r.text("user"), r.text("used"))).collect();
    if options.privileges {
        for r in text_rows(client, &queries::privileges()).await? {
            // Only what differs from the default: nobody but the owner, or (routines) everyone
            // may execute. A routine nobody else may execute says `none`.
            let (name, privileges) = (r.get("object"), r.get("privileges"));
            let everyone = Granted::parse(name).map(|granted| granted.implicit_privileges()).filter(|p| !p.is_empty());
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
            catalog.insert(object(Kind::Grants, None, name, props(&[(Prop::Privileges, privileges)])));
        }
        for r in text_rows(client, &queries::owners()).await? {
            catalog.insert(object(Kind::Owner, None, r.get("object"), props(&[(Prop::Owner, r.get("owner"))])));
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
            (Prop::Persistence, if is("persistence", "u") { "unlogged" } else { "" }),
            (Prop::Partitioned, if is("relkind", "p") { "true" } else { "" }),
            (Prop::PartitionKey, r.get("partition_key")),
            (Prop::PartitionBound, r.get("partition_bound")),
            (Prop::RowLevelSecurity, table_only(if is("row_security", "true") { "enabled" } else { "" })),
            (Prop::ForceRowLevelSecurity, table_only(if is("force_row_security", "true") { "forced" } else { "" })),
            (Prop::ReplicaIdentity, replica),
            (Prop::Definition, r.get("definition")),
            (Prop::Comment, r.get("comment")),
            (Prop::Server, r.get("foreign_server")),
        ]);
        let p = with(p, Prop::Inherits, Value::items(json_items(r.get("inherits")), ", "));
        let p = with(p, Prop::Options, json_options(r.get("options")));
        let p = with(p, Prop::ForeignOptions, json_options(r.get("foreign_options")));
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
            generation @ ("a" | "d") => {
                let listed: Vec<&str> = r.get("identity_sequence").split(' ').collect();
                let order = ["increment", "start", "min", "max", "cache", "cycle"];
                let value = |name: &str| order.iter().position(|o| *o == name).and_then(|i| listed.get(i)).map(|v| v.to_string());
                sequence_options(value).map(|sequence| Value::identity(IdentitySpec { always: generation == "a", sequence }))
            }
            _ => None,
        };
        let p = props(&[
            (Prop::Type, r.get("type")),
            (Prop::Nullability, not_null),
            (Prop::Default, &default),
            (Prop::Generated, r.get("generated")),
            (Prop::Collation, r.get("collation")),
            (Prop::Position, r.get("position")),
            (Prop::Comment, r.get("comment")),
            (Prop::NotNullName, r.get("not_null_name")),
        ]);
        let p = match identity {
            Some(identity) => with(p, Prop::Identity, identity),
            None => p,
        };
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
            props(&[(Prop::Definition, r.get("definition")), (Prop::Comment, r.get("comment"))]),
        );
        obj.definition_key = Some(r.text("definition"));
        catalog.insert(obj);
    }
    for r in text_rows(client, &queries::indexes(ledger)).await? {
        let valid = if r.get("valid") == "true" { "valid" } else { "INVALID (a failed CREATE INDEX CONCURRENTLY?)" };
        let p = props(&[(Prop::Definition, r.get("definition")), (Prop::Validity, valid), (Prop::Comment, r.get("comment"))]);
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
        let p = props(&[(Prop::Definition, r.get("definition")), (Prop::Enabled, enabled), (Prop::Comment, r.get("comment"))]);
        catalog.insert(object(Kind::Trigger, parent(&r), r.get("name"), p));
    }
    for r in text_rows(client, &queries::policies()).await? {
        let mode = if r.get("permissive") == "true" { "permissive" } else { "restrictive" };
        let p = props(&[
            (Prop::Command, r.get("command")),
            (Prop::Mode, mode),
            (Prop::Roles, r.get("roles")),
            (Prop::Using, r.get("using")),
            (Prop::WithCheck, r.get("with_check")),
        ]);
        catalog.insert(object(Kind::Policy, parent(&r), r.get("name"), p));
    }
    for r in text_rows(client, &queries::rules()).await? {
        catalog.insert(object(
            Kind::Rule,
            parent(&r),
            r.get("name"),
            props(&[(Prop::Definition, r.get("definition")), (Prop::Enabled, r.get("enabled"))]),
        ));
    }
    Ok(())
}

/// Sequences, functions and procedures, enums, domains and range types.
async fn read_routines_and_types(client: &Client, catalog: &mut Catalog) -> Result<(), tokio_postgres::Error> {
    for r in text_rows(client, &queries::sequences()).await? {
        let owned_by = r.get("owned_by");
        let p = props(&[(Prop::OwnedBy, owned_by), (Prop::Comment, r.get("comment"))]);
        let p = match sequence_options(|column| Some(r.text(column))) {
            Some(options) => with(p, Prop::Parameters, Value::sequence(r.get("type"), options)),
            None => p,
        };
        let mut obj = object(Kind::Sequence, None, r.get("name"), p);
        if !owned_by.is_empty() {
            // Owned sequences are known by their column: their names follow old table names.
            obj.name = format!("owned by {owned_by}");
            obj.definition_key = Some(owned_by.to_string());
        }
        catalog.insert(obj);
    }
    for r in text_rows(client, &queries::functions()).await? {
        let kind = if r.get("prokind") == "p" { Kind::Procedure } else { Kind::Function };
        let p = props(&[(Prop::Result, r.get("result")), (Prop::Definition, r.get("definition")), (Prop::Comment, r.get("comment"))]);
        catalog.insert(object(kind, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::aggregates()).await? {
        let p = props(&[(Prop::Definition, r.get("definition")), (Prop::Comment, r.get("comment"))]);
        catalog.insert(object(Kind::Aggregate, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::types()).await? {
        let (kind, p) = match r.get("typtype") {
            "e" => {
                (Kind::Enum, with(props(&[(Prop::Comment, r.get("comment"))]), Prop::Labels, Value::items(json_items(r.get("base")), ", ")))
            }
            "d" => {
                let p = props(&[
                    (Prop::BaseType, r.get("base")),
                    (Prop::NotNull, if r.get("not_null") == "true" { "not null" } else { "" }),
                    (Prop::Default, r.get("default")),
                    (Prop::Comment, r.get("comment")),
                ]);
                (Kind::Domain, with(p, Prop::Constraints, Value::items(json_items(r.get("constraints")), " AND ")))
            }
            _ => (Kind::RangeType, props(&[(Prop::Subtype, r.get("base")), (Prop::Comment, r.get("comment"))])),
        };
        catalog.insert(object(kind, None, r.get("name"), p));
    }
    Ok(())
}

/// Objects not inside a schema's tables: publications, event triggers, statistics, collations,
/// casts, operators, foreign-data wrappers and servers.
async fn read_server_wide(client: &Client, catalog: &mut Catalog) -> Result<(), tokio_postgres::Error> {
    for r in text_rows(client, queries::PUBLICATIONS).await? {
        let p = props(&[(Prop::AllTables, r.get("all_tables")), (Prop::Actions, r.get("actions")), (Prop::Tables, r.get("tables"))]);
        catalog.insert(object(Kind::Publication, None, r.get("name"), p));
    }
    for r in text_rows(client, queries::EVENT_TRIGGERS).await? {
        let p = props(&[
            (Prop::Event, r.get("event")),
            (Prop::Function, r.get("function")),
            (Prop::Enabled, r.get("enabled")),
            (Prop::Tags, r.get("tags")),
        ]);
        catalog.insert(object(Kind::EventTrigger, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::statistics()).await? {
        catalog.insert(object(Kind::Statistics, None, r.get("name"), props(&[(Prop::Definition, r.get("definition"))])));
    }
    for r in text_rows(client, &queries::collations()).await? {
        let p = props(&[
            (Prop::Provider, r.get("provider")),
            (Prop::Collate, r.get("collate")),
            (Prop::Ctype, r.get("ctype")),
            (Prop::Deterministic, r.get("deterministic")),
        ]);
        catalog.insert(object(Kind::Collation, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::casts()).await? {
        let p = props(&[(Prop::Function, r.get("function")), (Prop::Context, r.get("context")), (Prop::Method, r.get("method"))]);
        catalog.insert(object(Kind::Cast, None, &format!("({})", r.get("name")), p));
    }
    for r in text_rows(client, &queries::operators()).await? {
        let p = props(&[(Prop::Function, r.get("function")), (Prop::Commutator, r.get("commutator")), (Prop::Negator, r.get("negator"))]);
        catalog.insert(object(Kind::Operator, None, r.get("name"), p));
    }
    for r in text_rows(client, &queries::foreign_servers()).await? {
        let (handler_or_wrapper, validator_or_type) = (r.get("handler_or_wrapper"), r.get("validator_or_type"));
        let object = if r.get("kind") == "w" {
            let p = props(&[(Prop::Handler, handler_or_wrapper), (Prop::Validator, validator_or_type)]);
            let p = with(p, Prop::Options, json_options(r.get("options")));
            object(Kind::ForeignDataWrapper, None, r.get("name"), p)
        } else {
            let p = props(&[(Prop::Wrapper, handler_or_wrapper), (Prop::Type, validator_or_type), (Prop::Version, r.get("version"))]);
            let p = with(p, Prop::Options, json_options(r.get("options")));
            object(Kind::Server, None, r.get("name"), p)
        };
        catalog.insert(object);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_options_are_read_from_json_once() {
        assert_eq!(json_items(r#"["public.a", "public.\"b, c\""]"#), ["public.a", r#"public."b, c""#]);
        assert!(json_items("[]").is_empty() && json_items("null").is_empty());
        assert_eq!(json_items("not json"), ["not json"], "a text that does not read is kept, not lost");
        let options = json_options(r#"["fillfactor=70", "note=a, b=c", "flag"]"#);
        assert_eq!(
            options.as_options(),
            [("fillfactor".into(), "70".into()), ("note".into(), "a, b=c".into()), ("flag".into(), String::new())]
        );
        assert_eq!(options.as_str(), "fillfactor=70, note=a, b=c, flag=");
    }

    #[test]
    fn sequence_options_read_only_whole() {
        let columns = [("start", "3"), ("increment", "-1"), ("min", "-5"), ("max", "3"), ("cache", "1"), ("cycle", "true")];
        let value = |name: &str| columns.iter().find(|(c, _)| *c == name).map(|(_, v)| v.to_string());
        let read = sequence_options(value).unwrap();
        assert_eq!((read.start, read.increment, read.min, read.cycle), (3, -1, -5, true));
        assert_eq!(sequence_options(|c: &str| (c != "cache").then(|| "1".to_string())), None);
    }
}
