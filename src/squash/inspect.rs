//! What the surgery must know about each retired object, read from the replayed database:
//! keys, types, defaults, dependent indexes, constraints, foreign keys and views — and the
//! reasons to refuse (no key, an unlisted dependent view, a missing object).

use tokio_postgres::Client;

use super::plan::{ColumnName, Plan, TableName};
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

/// A retired table and the foreign keys of kept tables that point at it.
#[derive(Debug, Clone)]
pub struct RetiredTable {
    /// The table.
    pub name: TableName,
    /// Foreign keys from kept tables.
    pub incoming: Vec<Named>,
    /// Its columns and their types, as [`shape_sql`] prints them.
    pub shape: String,
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
    /// Constraints on the table that involve the column.
    pub constraints: Vec<Named>,
    /// Its comment.
    pub comment: Option<String>,
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

async fn text(client: &Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, tokio_postgres::Error> {
    Ok(client
        .simple_query(sql)
        .await?
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).map(String::from)).collect()),
            _ => None,
        })
        .collect())
}

fn regclass(t: &TableName) -> String {
    format!("to_regclass({})", quote_literal(&t.sql()))
}

/// Defaults of other tables that use a sequence `table` owns (serial or identity): (that
/// table, its column, the sequence).
async fn borrowed_sequences(client: &Client, table: &TableName) -> Result<Vec<(TableName, String, String)>, tokio_postgres::Error> {
    let rows = text(
        client,
        &format!(
            "SELECT kn.nspname, k.relname, a.attname, quote_ident(sn.nspname) || '.' || quote_ident(s.relname)
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
    Ok(rows
        .into_iter()
        .map(|r| {
            let field = |i: usize| r[i].clone().unwrap_or_default();
            (TableName { schema: field(0), name: field(1) }, field(2), field(3))
        })
        .collect())
}

/// How a refusal names a retired column.
fn retired_column(col: &ColumnName) -> String {
    format!("retire.columns: {}.{}", col.table, crate::sql::quote_ident(&col.column))
}

/// Reads the details for `plan`, or the reasons it cannot be carried out (all of them).
pub async fn inspect(client: &Client, plan: &Plan) -> Result<Result<Details, Vec<Refusal>>, tokio_postgres::Error> {
    client.batch_execute("SET search_path = ''").await?;
    let mut refusals = Vec::new();
    let mut details = Details { tables: vec![], columns: vec![], views: vec![], comments: vec![] };
    let mut dependents: Vec<TableName> = Vec::new();
    for table in &plan.retire_tables {
        let exists = text(client, &format!("SELECT {} IS NOT NULL", regclass(table))).await?;
        if exists[0][0].as_deref() != Some("t") {
            refusals.push(Refusal::new(
                format!("retire.tables: {table}"),
                "does not exist after replaying the chain",
                "fix the name in the plan",
            ));
            continue;
        }
        let incoming = text(
            client,
            &format!(
                "SELECT quote_ident(n.nspname), quote_ident(c.relname), con.conname, pg_get_constraintdef(con.oid)
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE con.contype = 'f' AND con.confrelid = {} AND con.conrelid <> con.confrelid ORDER BY 1, 2, 3",
                regclass(table)
            ),
        )
        .await?;
        let incoming: Vec<Named> = incoming
            .into_iter()
            .map(|r| Named {
                table: TableName { schema: unquote(r[0].as_deref()), name: unquote(r[1].as_deref()) },
                name: r[2].clone().unwrap_or_default(),
                definition: r[3].clone().unwrap_or_default(),
            })
            .filter(|fk| !plan.retire_tables.contains(&fk.table))
            .collect();
        for user in borrowed_sequences(client, table).await? {
            if !plan.retire_tables.contains(&user.0) {
                let column = format!("{}.{}", user.0, crate::sql::quote_ident(&user.1));
                refusals.push(Refusal::new(
                    format!("retire.tables: {table}"),
                    format!("owns sequence {}, which the default of {column} still uses (the sequence would move with the table)", user.2),
                    format!(
                        "give it to that column first in a migration (ALTER SEQUENCE {} OWNED BY {column}), or retire {} too",
                        user.2, user.0
                    ),
                ));
            }
        }
        dependents.extend(dependent_views(client, &regclass(table), None).await?);
        let shape = text(client, &format!("SELECT {}", shape_sql(&regclass(table)))).await?;
        let shape = shape.first().and_then(|r| r[0].clone()).unwrap_or_default();
        details.tables.push(RetiredTable { name: table.clone(), incoming, shape });
    }
    for col in &plan.retire_columns {
        let rel = regclass(&col.table);
        let rows = text(
            client,
            &format!(
                "SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull::text, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
                        CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
                        a.attnum::text, col_description(a.attrelid, a.attnum)
                 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = {rel} AND a.attname = {} AND NOT a.attisdropped",
                quote_literal(&col.column)
            ),
        )
        .await?;
        let Some(r) = rows.first() else {
            refusals.push(Refusal::new(retired_column(col), "does not exist after replaying the chain", "fix the name in the plan"));
            continue;
        };
        if r[3].as_deref().is_some_and(|s| !s.is_empty()) || r[4].as_deref().is_some_and(|s| !s.is_empty()) {
            refusals.push(Refusal::new(retired_column(col), "is an identity or generated column", "retire it by hand"));
            continue;
        }
        let attnum = r[6].clone().unwrap_or_default();
        let key = row_key(client, &rel).await?;
        match &key {
            None => refusals.push(Refusal::new(
                retired_column(col),
                format!("{} has no primary key and no unique not-null key, so the values could not be restored row for row", col.table),
                "add a key first",
            )),
            Some(k) if k.contains(&col.column) => {
                refusals.push(Refusal::new(retired_column(col), "is part of the table's key", "retire the table, or keep the column"))
            }
            Some(_) => {}
        }
        let indexes = named(
            client,
            &col.table,
            &format!(
                "SELECT ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                 WHERE i.indrelid = {rel} AND ({attnum} = ANY (i.indkey::int2[]) OR pg_get_expr(i.indexprs, i.indrelid) LIKE '%' || {} || '%' OR pg_get_expr(i.indpred, i.indrelid) LIKE '%' || {} || '%')
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1",
                quote_literal(&col.column),
                quote_literal(&col.column)
            ),
        )
        .await?;
        let constraints = named(
            client,
            &col.table,
            &format!("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = {rel} AND {attnum} = ANY (conkey) AND contype <> 'p' ORDER BY 1"),
        )
        .await?;
        dependents.extend(dependent_views(client, &rel, Some(&attnum)).await?);
        details.columns.push(RetiredColumn {
            name: col.clone(),
            type_sql: r[0].clone().unwrap_or_default(),
            collation: r[5].clone(),
            default: r[2].clone(),
            not_null: r[1].as_deref() == Some("true"),
            key: key.unwrap_or_default(),
            indexes,
            constraints,
            comment: r[7].clone(),
        });
    }
    dependents.sort();
    dependents.dedup();
    for view in &dependents {
        if !plan.retire_views.contains(view) {
            refusals.push(Refusal::new(
                format!("view {view}"),
                "depends on a retired table or column",
                "add it to retire.views (it is saved and restored by the rollback)",
            ));
        }
    }
    for view in &plan.retire_views {
        let rows = text(
            client,
            &format!(
                "SELECT c.relkind::text, pg_get_viewdef(c.oid, true), obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.oid = {}",
                regclass(view)
            ),
        )
        .await?;
        match rows.first() {
            Some(r) => details.views.push(RetiredView {
                name: view.clone(),
                kind: if r[0].as_deref() == Some("m") { "materialized view" } else { "view" },
                definition: r[1].clone().unwrap_or_default(),
                comment: r[2].clone(),
            }),
            None => refusals.push(Refusal::new(
                format!("retire.views: {view}"),
                "does not exist after replaying the chain",
                "fix the name in the plan",
            )),
        }
    }
    for (table, comment) in &plan.table_comments {
        let old = text(client, &format!("SELECT obj_description({}, 'pg_class')", regclass(table))).await?;
        details.comments.push(CommentChange { target: format!("TABLE {table}"), old: old[0][0].clone(), new: comment.clone() });
    }
    for (col, comment) in &plan.column_comments {
        let old = text(
            client,
            &format!(
                "SELECT col_description({}, (SELECT attnum FROM pg_attribute WHERE attrelid = {} AND attname = {}))",
                regclass(&col.table),
                regclass(&col.table),
                quote_literal(&col.column)
            ),
        )
        .await?;
        details.comments.push(CommentChange {
            target: format!("COLUMN {}.{}", col.table, crate::sql::quote_ident(&col.column)),
            old: old[0][0].clone(),
            new: comment.clone(),
        });
    }
    client.batch_execute("RESET search_path").await?;
    Ok(if refusals.is_empty() { Ok(details) } else { Err(refusals) })
}

fn unquote(s: Option<&str>) -> String {
    let s = s.unwrap_or_default();
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).map_or_else(|| s.to_string(), |s| s.replace("\"\"", "\""))
}

async fn named(client: &Client, table: &TableName, sql: &str) -> Result<Vec<Named>, tokio_postgres::Error> {
    Ok(text(client, sql)
        .await?
        .into_iter()
        .map(|r| Named { table: table.clone(), name: r[0].clone().unwrap_or_default(), definition: r[1].clone().unwrap_or_default() })
        .collect())
}

/// The primary key's columns, else those of a unique index whose columns are all NOT NULL.
async fn row_key(client: &Client, rel: &str) -> Result<Option<Vec<String>>, tokio_postgres::Error> {
    let rows = text(
        client,
        &format!(
            "SELECT (SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att)
             FROM pg_index i
             WHERE i.indrelid = {rel} AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL
               AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k(att) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att WHERE NOT a.attnotnull)
             ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid LIMIT 1"
        ),
    )
    .await?;
    Ok(rows.first().and_then(|r| r[0].clone()).map(|k| k.split('\u{1f}').map(String::from).collect()))
}

async fn dependent_views(client: &Client, rel: &str, attnum: Option<&str>) -> Result<Vec<TableName>, tokio_postgres::Error> {
    let column = attnum.map(|n| format!(" AND d.refobjsubid = {n}")).unwrap_or_default();
    Ok(text(
        client,
        &format!(
            "SELECT DISTINCT n.nspname, v.relname FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
             JOIN pg_namespace n ON n.oid = v.relnamespace
             WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = {rel} AND v.oid <> {rel}{column}"
        ),
    )
    .await?
    .into_iter()
    .map(|r| TableName { schema: r[0].clone().unwrap_or_default(), name: r[1].clone().unwrap_or_default() })
    .collect())
}
