//! What the surgery must know about each retired object, read from the replayed database:
//! keys, types, defaults, dependent indexes, constraints, foreign keys and views — and the
//! reasons to refuse (no key, an unlisted dependent view, a missing object).

use tokio_postgres::Client;

use super::plan::{ColumnName, Plan, TableName};
use crate::catalog::text_rows;
use crate::report::Refusal;
use crate::sql::quote_literal;

/// A named constraint or index and its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The table it belongs to.
    pub table: TableName,
    /// Its name.
    pub name: String,
    /// `pg_get_constraintdef` / `pg_get_indexdef`.
    pub definition: String,
}

/// A retired table and its links to kept tables, which the surgery cuts and the rollback
/// makes again.
#[derive(Debug, Clone)]
pub struct RetiredTable {
    /// The table.
    pub name: TableName,
    /// Foreign keys from kept tables.
    pub incoming: Vec<Named>,
    /// Its own foreign keys onto kept tables (a backup must not restrict, cascade into or
    /// null what is kept).
    pub outgoing: Vec<OutgoingKey>,
    /// Its own triggers (a backup fires none).
    pub triggers: Vec<TableTrigger>,
    /// Its columns and their types, as [`shape_sql`] prints them.
    pub shape: String,
    /// The views that read it (retired with it).
    pub views: Vec<TableName>,
}

impl RetiredTable {
    /// Every table a script that moves this one (away or back) alters: itself, the kept tables
    /// whose foreign keys point at it, and those its own foreign keys point at.
    pub fn altered_tables(&self, at: &TableName) -> Vec<String> {
        std::iter::once(at.sql())
            .chain(self.incoming.iter().map(|fk| fk.table.sql()))
            .chain(self.outgoing.iter().map(|fk| fk.parent.sql()))
            .collect()
    }
}

/// A retired table's foreign key onto a kept table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingKey {
    /// The constraint's name.
    pub name: String,
    /// `pg_get_constraintdef`.
    pub definition: String,
    /// The kept table it references.
    pub parent: TableName,
    /// Its columns on the retired table.
    pub columns: Vec<String>,
    /// The referenced columns.
    pub parent_columns: Vec<String>,
}

/// A retired table's own trigger, as the rollback makes it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableTrigger {
    /// Its name.
    pub name: String,
    /// `pg_get_triggerdef` (qualified names).
    pub definition: String,
    /// `ALTER TABLE … <state> TRIGGER` when not simply enabled (`DISABLE`, `ENABLE REPLICA`,
    /// `ENABLE ALWAYS`).
    pub state: Option<&'static str>,
    /// Its comment.
    pub comment: Option<String>,
}

/// SQL that prints a table's columns and types (`name type, …` in column order), so the surgery
/// can check that a retired table still has the shape it had when the squash was made.
pub fn shape_sql(regclass: &str) -> String {
    format!(
        "(SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) \
         FROM pg_catalog.pg_attribute WHERE attrelid = {regclass} AND attnum > 0 AND NOT attisdropped)"
    )
}

/// A retired column and everything needed to put it back.
#[derive(Debug, Clone)]
pub struct RetiredColumn {
    /// The column.
    pub name: ColumnName,
    /// `format_type`.
    pub type_sql: String,
    /// Its collation when not the type's default (qualified).
    pub collation: Option<String>,
    /// Its default expression.
    pub default: Option<String>,
    /// Whether it is NOT NULL.
    pub not_null: bool,
    /// The row key its values are saved with: the primary key, or a unique not-null key.
    pub key: Vec<String>,
    /// Indexes on the column (not backing constraints).
    pub indexes: Vec<Named>,
    /// The views that read it (retired with it).
    pub views: Vec<TableName>,
    /// Constraints on the table that involve the column.
    pub constraints: Vec<Named>,
    /// Its comment.
    pub comment: Option<String>,
    /// The privileges granted on it (column privileges go with the column; the rollback
    /// grants them again).
    pub grants: Vec<Grant>,
}

/// One privilege granted on a retired column or view (the owner's own left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `SELECT`, `INSERT`, `UPDATE` or `REFERENCES`.
    pub privilege: String,
    /// The role, quoted as SQL needs (`PUBLIC` for everyone).
    pub grantee: String,
    /// `WITH GRANT OPTION`.
    pub grantable: bool,
}

impl Grant {
    /// ` WITH GRANT OPTION` when grantable, else nothing.
    pub fn option(&self) -> &'static str {
        if self.grantable { " WITH GRANT OPTION" } else { "" }
    }
}

/// A retired view.
#[derive(Debug, Clone)]
pub struct RetiredView {
    /// The view.
    pub name: TableName,
    /// `view` or `materialized view`.
    pub kind: &'static str,
    /// Its definition (qualified names).
    pub definition: String,
    /// Its comment.
    pub comment: Option<String>,
    /// Its owner when not the role that ran the migrations (the rollback gives it back).
    pub owner: Option<String>,
    /// The privileges granted on it (the rollback grants them again).
    pub grants: Vec<Grant>,
}

/// A comment the plan sets, with the one it replaces.
#[derive(Debug, Clone)]
pub struct CommentChange {
    /// `TABLE schema.t` or `COLUMN schema.t.c`, quoted.
    pub target: String,
    /// The comment before.
    pub old: Option<String>,
    /// The comment after.
    pub new: String,
}

/// Everything the scripts are generated from.
#[derive(Debug, Clone)]
pub struct Details {
    /// Retired tables.
    pub tables: Vec<RetiredTable>,
    /// Retired columns.
    pub columns: Vec<RetiredColumn>,
    /// Retired views, dependents first.
    pub views: Vec<RetiredView>,
    /// Comments to set.
    pub comments: Vec<CommentChange>,
}

fn regclass(t: &TableName) -> String {
    format!("to_regclass({})", quote_literal(&t.sql()))
}

/// The one value of a one-row, one-column query (`None` for NULL or no row).
async fn scalar(client: &Client, sql: &str) -> Result<Option<String>, tokio_postgres::Error> {
    Ok(text_rows(client, sql).await?.first().and_then(|r| r.owned("value")))
}

/// Defaults of other tables that use a sequence `table` owns (serial or identity): (that
/// table, its column, the sequence).
async fn borrowed_sequences(client: &Client, table: &TableName) -> Result<Vec<(TableName, String, String)>, tokio_postgres::Error> {
    let rows = text_rows(
        client,
        &format!(
            "SELECT kn.nspname AS schema, k.relname AS table, a.attname AS column, quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS sequence
             FROM pg_depend own
             JOIN pg_class s ON s.oid = own.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
             JOIN pg_depend used ON used.refclassid = 'pg_class'::regclass AND used.refobjid = s.oid AND used.classid = 'pg_attrdef'::regclass
             JOIN pg_attrdef d ON d.oid = used.objid
             JOIN pg_class k ON k.oid = d.adrelid JOIN pg_namespace kn ON kn.oid = k.relnamespace
             JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
             WHERE own.classid = 'pg_class'::regclass AND own.refclassid = 'pg_class'::regclass AND own.refobjid = {rel}
               AND own.deptype IN ('a', 'i') AND k.oid <> {rel}
             ORDER BY 1, 2, 3",
            rel = regclass(table)
        ),
    )
    .await?;
    Ok(rows.iter().map(|r| (TableName { schema: r.text("schema"), name: r.text("table") }, r.text("column"), r.text("sequence"))).collect())
}

/// How a refusal names a retired column.
fn retired_column(col: &ColumnName) -> String {
    format!("retire.columns: {}.{}", col.table, crate::sql::quote_ident(&col.column))
}

/// The refusal for an object the plan names that the replayed chain does not have.
fn missing(object: String) -> Refusal {
    Refusal::new(object, "does not exist after replaying the chain", "fix the name in the plan")
}

/// What reading the plan's objects found so far.
#[derive(Default)]
struct Findings {
    refusals: Vec<Refusal>,
    /// Views that depend on a retired table or column.
    dependents: Vec<TableName>,
}

/// Reads the details for `plan`, or the reasons it cannot be carried out (all of them).
pub async fn inspect(client: &Client, plan: &Plan) -> Result<Result<Details, Vec<Refusal>>, tokio_postgres::Error> {
    client.batch_execute("SET search_path = ''").await?;
    let mut found = Findings::default();
    let mut details = Details { tables: vec![], columns: vec![], views: vec![], comments: vec![] };
    for table in &plan.retire_tables {
        details.tables.extend(retired_table(client, plan, table, &mut found).await?);
    }
    for col in &plan.retire_columns {
        details.columns.extend(retired_column_details(client, col, &mut found).await?);
    }
    found.dependents.sort();
    found.dependents.dedup();
    for view in found.dependents.iter().filter(|view| !plan.retire_views.contains(view)) {
        found.refusals.push(Refusal::new(
            format!("view {view}"),
            "depends on a retired table or column",
            "add it to retire.views (it is saved and restored by the rollback)",
        ));
    }
    for view in &plan.retire_views {
        match retired_view(client, view).await? {
            Some(retired) => details.views.push(retired),
            None => found.refusals.push(missing(format!("retire.views: {view}"))),
        }
    }
    details.comments = comment_changes(client, plan).await?;
    client.batch_execute("RESET search_path").await?;
    Ok(if found.refusals.is_empty() { Ok(details) } else { Err(found.refusals) })
}

/// A retired table: the foreign keys of kept tables pointing at it, its shape; refusals for a
/// missing table or a sequence it owns that a kept table still uses.
async fn retired_table(
    client: &Client,
    plan: &Plan,
    table: &TableName,
    found: &mut Findings,
) -> Result<Option<RetiredTable>, tokio_postgres::Error> {
    let rel = regclass(table);
    if scalar(client, &format!("SELECT ({rel} IS NOT NULL)::text AS value")).await?.as_deref() != Some("true") {
        found.refusals.push(missing(format!("retire.tables: {table}")));
        return Ok(None);
    }
    let incoming = text_rows(
        client,
        &format!(
            "SELECT quote_ident(n.nspname) AS schema, quote_ident(c.relname) AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
             FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE con.contype = 'f' AND con.confrelid = {rel} AND con.conrelid <> con.confrelid ORDER BY 1, 2, 3"
        ),
    )
    .await?;
    let incoming: Vec<Named> = incoming
        .iter()
        .map(|r| Named {
            table: TableName { schema: unquote(r.get("schema")), name: unquote(r.get("table")) },
            name: r.text("name"),
            definition: r.text("definition"),
        })
        .filter(|fk| !plan.retire_tables.contains(&fk.table))
        .collect();
    for (user, column, sequence) in borrowed_sequences(client, table).await? {
        if !plan.retire_tables.contains(&user) {
            let column = format!("{user}.{}", crate::sql::quote_ident(&column));
            found.refusals.push(Refusal::new(
                format!("retire.tables: {table}"),
                format!("owns sequence {sequence}, which the default of {column} still uses (the sequence would move with the table)"),
                format!("give it to that column first in a migration (ALTER SEQUENCE {sequence} OWNED BY {column}), or retire {user} too"),
            ));
        }
    }
    let views = dependent_views(client, &rel, None).await?;
    found.dependents.extend(views.iter().cloned());
    let shape = scalar(client, &format!("SELECT {} AS value", shape_sql(&rel))).await?.unwrap_or_default();
    let outgoing = outgoing_keys(client, &rel).await?.into_iter().filter(|fk| !plan.retire_tables.contains(&fk.parent)).collect();
    let triggers = table_triggers(client, &rel).await?;
    Ok(Some(RetiredTable { name: table.clone(), incoming, outgoing, triggers, shape, views }))
}

/// A table's foreign keys onto other tables.
async fn outgoing_keys(client: &Client, rel: &str) -> Result<Vec<OutgoingKey>, tokio_postgres::Error> {
    let columns = |key: &str, table: &str| {
        format!(
            "(SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.i) FROM unnest(con.{key}) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.{table} AND a.attnum = k.n)"
        )
    };
    let rows = text_rows(
        client,
        &format!(
            "SELECT con.conname AS name, pg_get_constraintdef(con.oid) AS definition, n.nspname AS schema, c.relname AS table,
                    {} AS columns, {} AS parent_columns
             FROM pg_constraint con JOIN pg_class c ON c.oid = con.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE con.contype = 'f' AND con.conrelid = {rel} AND con.confrelid <> {rel} ORDER BY 1",
            columns("conkey", "conrelid"),
            columns("confkey", "confrelid")
        ),
    )
    .await?;
    let split = |text: &str| text.split('\u{1f}').map(String::from).collect();
    Ok(rows
        .iter()
        .map(|r| OutgoingKey {
            name: r.text("name"),
            definition: r.text("definition"),
            parent: TableName { schema: r.text("schema"), name: r.text("table") },
            columns: split(r.get("columns")),
            parent_columns: split(r.get("parent_columns")),
        })
        .collect())
}

/// A table's own (not internal) triggers, with their enabled state and comments.
async fn table_triggers(client: &Client, rel: &str) -> Result<Vec<TableTrigger>, tokio_postgres::Error> {
    let rows = text_rows(
        client,
        &format!(
            "SELECT tgname AS name, pg_get_triggerdef(oid) AS definition, tgenabled::text AS enabled, obj_description(oid, 'pg_trigger') AS comment
             FROM pg_trigger WHERE tgrelid = {rel} AND NOT tgisinternal ORDER BY 1"
        ),
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| TableTrigger {
            name: r.text("name"),
            definition: r.text("definition"),
            state: match r.get("enabled") {
                "D" => Some("DISABLE"),
                "R" => Some("ENABLE REPLICA"),
                "A" => Some("ENABLE ALWAYS"),
                _ => None,
            },
            comment: r.owned("comment"),
        })
        .collect())
}

/// A retired column: its type, default, key, indexes and constraints; refusals for a missing,
/// identity or generated column, or one the row key needs.
async fn retired_column_details(
    client: &Client,
    col: &ColumnName,
    found: &mut Findings,
) -> Result<Option<RetiredColumn>, tokio_postgres::Error> {
    let rel = regclass(&col.table);
    let rows = text_rows(
        client,
        &format!(
            "SELECT format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull::text AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
                    a.attidentity::text AS identity, a.attgenerated::text AS generated,
                    CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation,
                    a.attnum::text AS attnum, col_description(a.attrelid, a.attnum) AS comment
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = {rel} AND a.attname = {} AND NOT a.attisdropped",
            quote_literal(&col.column)
        ),
    )
    .await?;
    let Some(r) = rows.first() else {
        found.refusals.push(missing(retired_column(col)));
        return Ok(None);
    };
    if !r.get("identity").is_empty() || !r.get("generated").is_empty() {
        found.refusals.push(Refusal::new(retired_column(col), "is an identity or generated column", "retire it by hand"));
        return Ok(None);
    }
    let attnum = r.get("attnum");
    let key = row_key(client, &rel).await?;
    match &key {
        None => found.refusals.push(Refusal::new(
            retired_column(col),
            format!("{} has no primary key and no unique not-null key, so the values could not be restored row for row", col.table),
            "add a key first",
        )),
        Some(k) if k.contains(&col.column) => {
            found.refusals.push(Refusal::new(retired_column(col), "is part of the table's key", "retire the table, or keep the column"))
        }
        Some(_) => {}
    }
    let column = quote_literal(&col.column);
    let indexes = named(
        client,
        &col.table,
        &format!(
            "SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
             WHERE i.indrelid = {rel} AND ({attnum} = ANY (i.indkey::int2[]) OR pg_get_expr(i.indexprs, i.indrelid) LIKE '%' || {column} || '%' OR pg_get_expr(i.indpred, i.indrelid) LIKE '%' || {column} || '%')
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1"
        ),
    )
    .await?;
    let constraints = named(
        client,
        &col.table,
        &format!(
            "SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = {rel} AND {attnum} = ANY (conkey) AND contype <> 'p' ORDER BY 1"
        ),
    )
    .await?;
    let views = dependent_views(client, &rel, Some(attnum)).await?;
    found.dependents.extend(views.iter().cloned());
    let grants = grants(client, &rel, &format!("(SELECT attacl FROM pg_attribute WHERE attrelid = {rel} AND attnum = {attnum})")).await?;
    Ok(Some(RetiredColumn {
        grants,
        name: col.clone(),
        type_sql: r.text("type"),
        collation: r.owned("collation"),
        default: r.owned("default"),
        not_null: r.get("not_null") == "true",
        key: key.unwrap_or_default(),
        indexes,
        views,
        constraints,
        comment: r.owned("comment"),
    }))
}

/// The privileges in ACL `acl` (an SQL expression) of relation `rel` other than its owner's.
async fn grants(client: &Client, rel: &str, acl: &str) -> Result<Vec<Grant>, tokio_postgres::Error> {
    let rows = text_rows(
        client,
        &format!(
            "SELECT x.privilege_type AS privilege, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END AS grantee,
                    x.is_grantable::text AS grantable
             FROM aclexplode({acl}) x WHERE x.grantee <> (SELECT relowner FROM pg_class WHERE oid = {rel}) ORDER BY 2, 1"
        ),
    )
    .await?;
    Ok(rows
        .iter()
        .map(|g| Grant { privilege: g.text("privilege"), grantee: g.text("grantee"), grantable: g.get("grantable") == "true" })
        .collect())
}

/// A retired view's kind, definition and comment, `None` when it does not exist.
async fn retired_view(client: &Client, view: &TableName) -> Result<Option<RetiredView>, tokio_postgres::Error> {
    let rows = text_rows(
        client,
        &format!(
            "SELECT c.relkind::text AS relkind, pg_get_viewdef(c.oid, true) AS definition, obj_description(c.oid, 'pg_class') AS comment,
                    CASE WHEN c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN quote_ident(pg_get_userbyid(c.relowner)) END AS owner
             FROM pg_class c WHERE c.oid = {}",
            regclass(view)
        ),
    )
    .await?;
    let Some(r) = rows.first() else { return Ok(None) };
    let rel = regclass(view);
    Ok(Some(RetiredView {
        name: view.clone(),
        kind: if r.get("relkind") == "m" { "materialized view" } else { "view" },
        definition: r.text("definition"),
        comment: r.owned("comment"),
        owner: r.owned("owner"),
        grants: grants(client, &rel, &format!("(SELECT relacl FROM pg_class WHERE oid = {rel})")).await?,
    }))
}

/// The comments the plan sets, each with the one it replaces.
async fn comment_changes(client: &Client, plan: &Plan) -> Result<Vec<CommentChange>, tokio_postgres::Error> {
    let mut changes = Vec::new();
    for (table, comment) in &plan.table_comments {
        let old = scalar(client, &format!("SELECT obj_description({}, 'pg_class') AS value", regclass(table))).await?;
        changes.push(CommentChange { target: format!("TABLE {table}"), old, new: comment.clone() });
    }
    for (col, comment) in &plan.column_comments {
        let rel = regclass(&col.table);
        let sql = format!(
            "SELECT col_description({rel}, (SELECT attnum FROM pg_attribute WHERE attrelid = {rel} AND attname = {})) AS value",
            quote_literal(&col.column)
        );
        let old = scalar(client, &sql).await?;
        changes.push(CommentChange {
            target: format!("COLUMN {}.{}", col.table, crate::sql::quote_ident(&col.column)),
            old,
            new: comment.clone(),
        });
    }
    Ok(changes)
}

fn unquote(s: &str) -> String {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).map_or_else(|| s.to_string(), |s| s.replace("\"\"", "\""))
}

async fn named(client: &Client, table: &TableName, sql: &str) -> Result<Vec<Named>, tokio_postgres::Error> {
    Ok(text_rows(client, sql)
        .await?
        .iter()
        .map(|r| Named { table: table.clone(), name: r.text("name"), definition: r.text("definition") })
        .collect())
}

/// The primary key's columns, else those of a unique index whose columns are all NOT NULL.
async fn row_key(client: &Client, rel: &str) -> Result<Option<Vec<String>>, tokio_postgres::Error> {
    let key = scalar(
        client,
        &format!(
            "SELECT (SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att) AS value
             FROM pg_index i
             WHERE i.indrelid = {rel} AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL
               AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k(att) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att WHERE NOT a.attnotnull)
             ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid LIMIT 1"
        ),
    )
    .await?;
    Ok(key.map(|k| k.split('\u{1f}').map(String::from).collect()))
}

async fn dependent_views(client: &Client, rel: &str, attnum: Option<&str>) -> Result<Vec<TableName>, tokio_postgres::Error> {
    let column = attnum.map(|n| format!(" AND d.refobjsubid = {n}")).unwrap_or_default();
    Ok(text_rows(
        client,
        &format!(
            "SELECT DISTINCT n.nspname AS schema, v.relname AS name FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
             JOIN pg_namespace n ON n.oid = v.relnamespace
             WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = {rel} AND v.oid <> {rel}{column}"
        ),
    )
    .await?
    .iter()
    .map(|r| TableName { schema: r.text("schema"), name: r.text("name") })
    .collect())
}
