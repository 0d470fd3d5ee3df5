//! Sample rows for verification: a few rows in every table, type-aware, parents before
//! children so foreign keys hold; a row a table refuses (a CHECK we cannot guess) is skipped
//! and reported, never faked.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use crate::sql::{quote_ident, quote_literal};

/// What seeding did: rows inserted per table, and tables that refused every row (with why).
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Table → rows inserted.
    pub rows: BTreeMap<String, u32>,
    /// Table → PostgreSQL's last error.
    pub refused: BTreeMap<String, String>,
}

struct Column {
    name: String,
    type_sql: String,
    category: String,
    references: Option<String>,
}

/// Inserts `per_table` rows into every user table of the database.
pub async fn seed(client: &Client, per_table: u32) -> Result<Seeded, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT c.oid::regclass::text, a.attname::text, format_type(a.atttypid, a.atttypmod), t.typcategory::text,
                    (SELECT confrelid::regclass::text || '.' || quote_ident(fa.attname) FROM pg_constraint f JOIN pg_attribute fa ON fa.attrelid = f.confrelid AND fa.attnum = f.confkey[1]
                     WHERE f.conrelid = c.oid AND f.contype = 'f' AND array_length(f.conkey, 1) = 1 AND f.conkey[1] = a.attnum LIMIT 1),
                    (a.attidentity <> '' OR a.attgenerated <> '')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
             JOIN pg_type t ON t.oid = a.atttypid
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
               AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'schema_migrations'
             ORDER BY 1, a.attnum",
            &[],
        )
        .await?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for r in rows {
        let skip: bool = r.get(5);
        let entry = tables.entry(r.get(0)).or_default();
        if !skip {
            entry.push(Column { name: r.get(1), type_sql: r.get(2), category: r.get(3), references: r.get(4) });
        }
    }
    // Parents first: repeat passes until no table with unseeded parents is left.
    let mut order = Vec::new();
    let mut left: Vec<String> = tables.keys().cloned().collect();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                tables[*t]
                    .iter()
                    .filter_map(|c| c.references.as_ref())
                    .all(|r| r.starts_with(&format!("{t}.")) || !left.iter().any(|l| r.starts_with(&format!("{l}."))))
            })
            .cloned()
            .collect();
        let next = if ready.is_empty() { vec![left[0].clone()] } else { ready };
        left.retain(|t| !next.contains(t));
        order.extend(next);
    }
    let mut seeded = Seeded::default();
    for table in order {
        let columns = &tables[&table];
        for n in 1..=per_table {
            let values: Vec<String> = columns.iter().map(|c| value(c, n)).collect();
            let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
            let sql = if names.is_empty() {
                format!("INSERT INTO {table} DEFAULT VALUES")
            } else {
                format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), values.join(", "))
            };
            // One round trip a row; a refused row is undone alone.
            match client.batch_execute(&format!("SAVEPOINT seed; {sql}; RELEASE SAVEPOINT seed")).await {
                Ok(()) => *seeded.rows.entry(table.clone()).or_default() += 1,
                Err(e) => {
                    client.batch_execute("ROLLBACK TO SAVEPOINT seed").await?;
                    seeded.refused.insert(table.clone(), crate::ledger::with_causes(&e));
                }
            }
        }
    }
    Ok(seeded)
}

/// A value of the column's type; foreign keys take an existing parent value.
fn value(c: &Column, n: u32) -> String {
    if let Some(reference) = &c.references {
        let (table, column) = reference.rsplit_once('.').unwrap_or((reference, "id"));
        return format!("(SELECT {column} FROM {table} ORDER BY 1 OFFSET {} LIMIT 1)", (n - 1) % 3);
    }
    let t = c.type_sql.as_str();
    let literal = match c.category.as_str() {
        "N" => format!("{n}"),
        "B" => (if n % 2 == 0 { "true" } else { "false" }).to_string(),
        "D" if t.starts_with("date") => format!("'2024-01-{:02}'", n),
        "D" => format!("'2024-01-{:02} 12:00:00+00'", n),
        "E" => return format!("(enum_range(NULL::{t}))[1]"),
        "A" => "'{}'".to_string(),
        "U" if t == "uuid" => format!("'00000000-0000-4000-8000-{:012}'", n),
        "U" if t.starts_with("json") => format!("'{{\"n\": {n}}}'"),
        "V" => "'1'".to_string(),
        _ => quote_literal(&format!("s{n}")),
    };
    format!("{literal}::{t}")
}
