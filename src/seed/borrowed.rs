//! Realistic sample rows: a bounded sample of each table read from a database the team names
//! (one read-only snapshot, nothing written there), then put into a throwaway database as far
//! as its keys allow — rows whose parents did not come along are left out, rows that collide
//! with a unique key are skipped — and its sequences moved past what came in.

use tokio_postgres::Client;

use super::{LeftAlone, Seeded, Table, parents_first, read_tables};
use crate::sql::{quote_ident, quote_literal};

/// The rows read from the source, per table, as one JSON array each (columns by name).
#[derive(Debug, Clone, Default)]
pub struct Borrowed {
    /// Table (qualified, quoted) → (its columns, the rows as a JSON array).
    tables: Vec<(String, Vec<String>, String)>,
}

impl Borrowed {
    /// How many tables gave rows.
    pub fn tables(&self) -> usize {
        self.tables.len()
    }
}

/// Reads at most `per_table` rows of each of `tables` (qualified, quoted; those missing there
/// are skipped) from `source`, in one read-only snapshot: the first rows by primary key.
pub async fn borrow(source: &Client, tables: &[String], per_table: u32) -> Result<Borrowed, tokio_postgres::Error> {
    source.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let mut borrowed = Borrowed::default();
    for table in tables {
        let row = source
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL AS present,
                        (SELECT array_agg(quote_ident(attname) ORDER BY attnum) FROM pg_catalog.pg_attribute
                          WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attgenerated = '') AS columns,
                        (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM pg_catalog.pg_index x
                           CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY k(n, i)
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n
                          WHERE x.indrelid = to_regclass($1) AND x.indisprimary) AS key",
                &[table],
            )
            .await?;
        let (present, columns, key): (bool, Option<Vec<String>>, Option<String>) = (row.get(0), row.get(1), row.get(2));
        let Some(columns) = columns.filter(|_| present) else { continue };
        let order = key.map(|k| format!(" ORDER BY {k}")).unwrap_or_default();
        let sql = format!(
            "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT {} FROM {table}{order} LIMIT {per_table}) t",
            columns.join(", ")
        );
        let rows: String = source.query_one(&sql, &[]).await?.get(0);
        if rows != "[]" {
            borrowed.tables.push((table.clone(), columns, rows));
        }
    }
    source.batch_execute("ROLLBACK").await?;
    Ok(borrowed)
}

/// Puts the `borrowed` rows into `client`'s database (in the transaction under way; the tables
/// `left_alone` and those it lacks skipped), parents first. Returns the rows each table took.
pub async fn lend(client: &Client, borrowed: &Borrowed, left_alone: &LeftAlone<'_>) -> Result<Seeded, tokio_postgres::Error> {
    let mut lent = Seeded::default();
    for table in parents_first(read_tables(client, left_alone).await?) {
        let Some((_, columns, rows)) = borrowed.tables.iter().find(|(name, _, _)| name == &table.name) else { continue };
        client.batch_execute("SAVEPOINT squashmate_lend").await?;
        match client.execute(insert_sql(&table, columns, rows).as_str(), &[]).await {
            Ok(count) => {
                client.batch_execute("RELEASE SAVEPOINT squashmate_lend").await?;
                lent.rows.insert(table.name.clone(), u32::try_from(count).unwrap_or(u32::MAX));
                move_sequences_past(client, &table.name).await?;
            }
            Err(e) => {
                client.batch_execute("ROLLBACK TO SAVEPOINT squashmate_lend").await?;
                lent.refused.insert(table.name.clone(), crate::report::with_causes(&e));
            }
        }
    }
    Ok(lent)
}

/// The INSERT of a table's borrowed rows: only those whose every foreign key finds its parent
/// (or has a NULL, as MATCH SIMPLE lets it), none that collides with a unique key.
fn insert_sql(table: &Table, columns: &[String], rows: &str) -> String {
    let list = columns.join(", ");
    let mut keeps = vec!["true".to_string()];
    for fk in &table.foreign_keys {
        let nulls: Vec<String> = fk.columns.iter().map(|c| format!("s.{} IS NULL", quote_ident(c))).collect();
        let matches: Vec<String> =
            fk.columns.iter().zip(&fk.parent_columns).map(|(c, p)| format!("p.{} = s.{}", quote_ident(p), quote_ident(c))).collect();
        keeps.push(format!("({} OR EXISTS (SELECT 1 FROM {} p WHERE {}))", nulls.join(" OR "), fk.parent, matches.join(" AND ")));
    }
    let selected: Vec<String> = columns.iter().map(|c| format!("s.{c}")).collect();
    format!(
        "INSERT INTO {name} ({list}) OVERRIDING SYSTEM VALUE SELECT {} FROM json_populate_recordset(NULL::{name}, {}::json) s WHERE {} ON CONFLICT DO NOTHING",
        selected.join(", "),
        quote_literal(rows),
        keeps.join(" AND "),
        name = table.name
    )
}

/// Moves each sequence that feeds a column of `table` past the largest value now in it.
async fn move_sequences_past(client: &Client, table: &str) -> Result<(), tokio_postgres::Error> {
    let fed = client
        .query(
            "SELECT quote_ident(attname), pg_get_serial_sequence($1, attname) FROM pg_catalog.pg_attribute
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped AND pg_get_serial_sequence($1, attname) IS NOT NULL",
            &[&table],
        )
        .await?;
    for row in fed {
        let (column, sequence): (String, String) = (row.get(0), row.get(1));
        client
            .batch_execute(&format!(
                "SELECT setval({seq}, max({column})::bigint) FROM {table} HAVING max({column})::bigint > (SELECT last_value FROM {sequence})",
                seq = quote_literal(&sequence)
            ))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::ForeignKey;
    use super::*;

    #[test]
    fn borrowed_rows_keep_only_those_whose_parents_came_along() {
        let table = Table {
            name: "public.lines".into(),
            columns: Vec::new(),
            foreign_keys: vec![ForeignKey {
                columns: vec!["org".into(), "order_id".into()],
                parent: "public.orders".into(),
                parent_columns: vec!["org".into(), "id".into()],
            }],
        };
        let sql =
            insert_sql(&table, &["\"org\"".into(), "\"order_id\"".into(), "note".into()], r#"[{"org":1,"order_id":2,"note":"it's"}]"#);
        assert_eq!(
            sql,
            "INSERT INTO public.lines (\"org\", \"order_id\", note) OVERRIDING SYSTEM VALUE SELECT s.\"org\", s.\"order_id\", s.note \
             FROM json_populate_recordset(NULL::public.lines, '[{\"org\":1,\"order_id\":2,\"note\":\"it''s\"}]'::json) s \
             WHERE true AND (s.\"org\" IS NULL OR s.\"order_id\" IS NULL OR EXISTS (SELECT 1 FROM public.orders p WHERE p.\"org\" = s.\"org\" AND p.\"id\" = s.\"order_id\")) \
             ON CONFLICT DO NOTHING"
        );
    }
}
