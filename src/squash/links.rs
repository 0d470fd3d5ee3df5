//! Every live link from what a squash keeps to what it retires, found on the replayed chain
//! before anything is written: catalog dependencies (rules, policies, triggers, defaults,
//! generated columns, row types, foreign keys onto a retired column, sequences, statistics,
//! publications) and function bodies that name a retired table or column. What the surgery
//! does not carry out with an exact inverse (views, foreign keys, the retired tables' own
//! triggers) is refused, naming the object and the retired thing it uses.

use tokio_postgres::Client;

use super::plan::{ColumnName, Plan, TableName};
use super::routine_uses::{Routine, routine_uses};
use crate::catalog::text_rows;
use crate::report::Refusal;
use crate::sql::quote_literal;

/// The refusals for every live link to `plan`'s retired objects. Function bodies' uses of an
/// object listed in `force_retire` (`schema.table[.column]`) are let through: the user checked
/// them.
pub async fn live_links(client: &Client, plan: &Plan, force_retire: &[String]) -> Result<Vec<Refusal>, tokio_postgres::Error> {
    client.batch_execute("SET search_path = ''").await?;
    let retired = retired_oids(plan);
    let mut refusals = Vec::new();
    for table in &plan.retire_tables {
        refusals.extend(catalog_links(client, &table_links_sql(table, &retired), &table.readable(), "retire it too").await?);
        refusals.extend(publications(client, table).await?);
    }
    for column in &plan.retire_columns {
        let object = format!("{}.{}", column.table.readable(), crate::sql::quote_ident_if_needed(&column.column));
        refusals.extend(catalog_links(client, &column_links_sql(column, &retired), &object, "keep the column").await?);
    }
    // A function reading a retired view breaks as one reading a retired table does.
    let relations: Vec<TableName> = plan.retire_tables.iter().chain(&plan.retire_views).cloned().collect();
    for (name, routine) in routines(client).await? {
        for found in routine_uses(&routine, &relations, &plan.retire_columns) {
            if force_retire.iter().any(|f| same_object(f, &found.object())) {
                continue;
            }
            let called_by = if routine.trigger_tables.is_empty() {
                String::new()
            } else {
                let tables: Vec<String> = routine.trigger_tables.iter().map(TableName::readable).collect();
                format!(" (a trigger function of {})", tables.join(", "))
            };
            refusals.push(Refusal::new(
                format!("function {name}{called_by}"),
                format!("{} {}: after the surgery every call fails", found.how(), found.object()),
                format!(
                    "change or drop it in a migration before the squash, or pass --force-retire {} once you have checked it",
                    found.object()
                ),
            ));
        }
    }
    client.batch_execute("RESET search_path").await?;
    Ok(refusals)
}

/// Whether a `--force-retire` name means the object a refusal names (quotes aside).
fn same_object(forced: &str, object: &str) -> bool {
    forced.replace('"', "") == object.replace('"', "")
}

/// The retired tables' and views' oids, as an SQL array (those that exist).
fn retired_oids(plan: &Plan) -> String {
    let names = plan.retire_tables.iter().chain(&plan.retire_views).map(|t| format!("to_regclass({})", quote_literal(&t.sql())));
    format!("array_remove(ARRAY[{}]::oid[], NULL)", names.collect::<Vec<_>>().join(", "))
}

/// The relation a dependent object belongs to (a constraint's table, a rule's, a trigger's…),
/// for a `pg_depend` row `d`.
pub(super) const OWNER: &str = "CASE d.classid
      WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT conrelid FROM pg_catalog.pg_constraint WHERE oid = d.objid)
      WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_catalog.pg_rewrite WHERE oid = d.objid)
      WHEN 'pg_catalog.pg_policy'::regclass THEN (SELECT polrelid FROM pg_catalog.pg_policy WHERE oid = d.objid)
      WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_catalog.pg_trigger WHERE oid = d.objid)
      WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_catalog.pg_attrdef WHERE oid = d.objid)
      WHEN 'pg_catalog.pg_class'::regclass THEN coalesce((SELECT indrelid FROM pg_catalog.pg_index WHERE indexrelid = d.objid), d.objid)
    END";

/// A view's rule (views have refusals of their own: list them in `retire.views`).
const VIEW_RULE: &str = "(d.classid = 'pg_catalog.pg_rewrite'::regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r
      JOIN pg_catalog.pg_class v ON v.oid = r.ev_class WHERE r.oid = d.objid AND v.relkind IN ('v', 'm')))";

/// What depends on a retired table or its row type, but for its own parts, the other retired
/// objects, views and the foreign keys pointing at it (the surgery moves those).
fn table_links_sql(table: &TableName, retired: &str) -> String {
    let rel = format!("to_regclass({})", quote_literal(&table.sql()));
    format!(
        "SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid) AS object FROM (
           SELECT d.*, {OWNER} AS owner FROM pg_catalog.pg_depend d
           WHERE d.deptype = 'n' AND ((d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = {rel})
              OR (d.refclassid = 'pg_catalog.pg_type'::regclass AND d.refobjid = (SELECT reltype FROM pg_catalog.pg_class WHERE oid = {rel})))
         ) d
         WHERE NOT coalesce(d.owner = ANY ({retired}), false)
           AND NOT (d.classid = 'pg_catalog.pg_constraint'::regclass AND (SELECT contype FROM pg_catalog.pg_constraint WHERE oid = d.objid) = 'f')
           AND NOT {VIEW_RULE}
         ORDER BY 1"
    )
}

/// What depends on a retired column, but for what the surgery saves and the rollback makes
/// again: its own default, its table's constraints and indexes on it, and views. (A generated
/// column computed from it depends through its own default expression.)
fn column_links_sql(column: &ColumnName, retired: &str) -> String {
    let rel = format!("to_regclass({})", quote_literal(&column.table.sql()));
    let attnum =
        format!("(SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = {rel} AND attname = {})", quote_literal(&column.column));
    format!(
        "SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid) AS object FROM (
           SELECT d.*, {OWNER} AS owner FROM pg_catalog.pg_depend d
           WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = {rel} AND d.refobjsubid = {attnum} AND d.deptype IN ('n', 'a')
         ) d
         WHERE NOT coalesce(d.owner = ANY ({retired}), false)
           AND NOT (d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.owner = {rel}
                    AND (SELECT adnum FROM pg_catalog.pg_attrdef WHERE oid = d.objid) = {attnum})
           AND NOT (d.classid = 'pg_catalog.pg_constraint'::regclass AND d.owner = {rel})
           AND NOT (d.classid = 'pg_catalog.pg_class'::regclass AND d.owner = {rel} AND d.objid <> {rel})
           AND NOT {VIEW_RULE}
         ORDER BY 1"
    )
}

async fn catalog_links(client: &Client, sql: &str, retired: &str, alternative: &str) -> Result<Vec<Refusal>, tokio_postgres::Error> {
    Ok(text_rows(client, sql)
        .await?
        .iter()
        .map(|r| {
            Refusal::new(
                r.text("object"),
                format!("depends on retired {retired}: the surgery would break it or the rollback could not put it back"),
                format!("change or drop it in a migration before the squash, or {alternative}"),
            )
        })
        .collect())
}

/// A retired table in a publication would still be published from the backup.
async fn publications(client: &Client, table: &TableName) -> Result<Vec<Refusal>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT quote_ident(p.pubname) AS name FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
         WHERE r.prrelid = to_regclass({}) ORDER BY 1",
        quote_literal(&table.sql())
    );
    Ok(text_rows(client, &sql)
        .await?
        .iter()
        .map(|r| {
            let name = r.text("name");
            Refusal::new(
                format!("publication {name}"),
                format!("publishes retired table {}: its backup would still be replicated", table.readable()),
                format!("remove it in a migration before the squash (ALTER PUBLICATION {name} DROP TABLE {})", table.readable()),
            )
        })
        .collect())
}

/// The user's SQL and PL/pgSQL functions and procedures (an extension's left out), by
/// signature, with the tables whose triggers call each.
async fn routines(client: &Client) -> Result<Vec<(String, Routine)>, tokio_postgres::Error> {
    let rows = text_rows(
        client,
        "SELECT p.oid::regprocedure::text AS name, l.lanname AS language, pg_get_functiondef(p.oid) AS definition, p.prosrc AS source,
                (SELECT string_agg(n.nspname || E'\\x1f' || c.relname, E'\\x1e' ORDER BY 1) FROM pg_catalog.pg_trigger t
                   JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE t.tgfoid = p.oid AND NOT t.tgisinternal) AS trigger_tables
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang JOIN pg_catalog.pg_namespace ns ON ns.oid = p.pronamespace
         WHERE l.lanname IN ('sql', 'plpgsql') AND p.prokind IN ('f', 'p')
           AND ns.nspname NOT IN ('pg_catalog', 'information_schema') AND ns.nspname !~ '^pg_'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
         ORDER BY 1",
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let trigger_tables = r
                .get("trigger_tables")
                .split('\u{1e}')
                .filter_map(|t| t.split_once('\u{1f}'))
                .map(|(schema, name)| TableName { schema: schema.into(), name: name.into() })
                .collect();
            let routine =
                Routine { definition: r.text("definition"), source: r.text("source"), language: r.text("language"), trigger_tables };
            (r.text("name"), routine)
        })
        .collect())
}
