//! Sample rows for verification: a few rows in every table, type-aware, parents before
//! children so foreign keys (single or composite) hold, new key values past the rows the
//! migrations inserted, values from a CHECK's list where it has one. A row a table still
//! refuses (a CHECK we cannot guess) is skipped and reported, never faked.

use std::collections::BTreeMap;

use regex::Regex;
use tokio_postgres::Client;

use crate::ledger::LedgerTable;
use crate::sql::{quote_ident, quote_literal};

mod borrowed;
mod pattern;

pub use borrowed::{Borrowed, borrow, lend};

/// What seeding did: rows inserted per table, and tables that refused a row (with why).
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Table → rows inserted.
    pub rows: BTreeMap<String, u32>,
    /// Table → PostgreSQL's last error.
    pub refused: BTreeMap<String, String>,
}

impl Seeded {
    /// Adds what another pass put in (rows summed; its refusals kept where this pass had none).
    pub fn absorb(&mut self, other: Seeded) {
        for (table, rows) in other.rows {
            *self.rows.entry(table).or_default() += rows;
        }
        for (table, why) in other.refused {
            self.refused.entry(table).or_insert(why);
        }
    }
}

/// A column to fill, and how.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: String,
    type_sql: String,
    category: String,
    /// What the column's single-column CHECKs allow, where we can read it.
    allowed: Allowed,
    /// Whether it takes NULL (which passes any CHECK).
    nullable: bool,
}

/// What a column's CHECKs allow, as far as we read them.
#[derive(Debug, Clone, Default, PartialEq)]
enum Allowed {
    /// Anything we can tell.
    #[default]
    Anything,
    /// One of these SQL literals (`col = ANY (ARRAY[…])`, `col IN (…)`).
    OneOf(Vec<String>),
    /// Whole numbers in this inclusive range (`col BETWEEN a AND b`, `col > 0`, …).
    Range(Option<i64>, Option<i64>),
    /// Text matching this regular expression (`col ~ '^[A-Z]{3}$'`; `~*`: any case).
    Pattern {
        /// The expression.
        regex: String,
        /// `~*`.
        case_insensitive: bool,
    },
}

/// A foreign key: these columns take the values of one parent row.
#[derive(Debug, Clone, PartialEq)]
struct ForeignKey {
    columns: Vec<String>,
    parent: String,
    parent_columns: Vec<String>,
}

/// One table to seed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Table {
    name: String,
    columns: Vec<Column>,
    foreign_keys: Vec<ForeignKey>,
}

/// Which tables seeding leaves alone: the ledger, and any other (schema, table) or schema.
#[derive(Debug, Clone)]
pub struct LeftAlone<'a> {
    /// The ledger table.
    pub ledger: &'a LedgerTable,
    /// Whole schemas left alone (a squash's backup schema).
    pub schemas: Vec<String>,
    /// Tables left alone, as (schema, table).
    pub tables: Vec<(String, String)>,
    /// When not empty: only these tables, as (schema, table), are seeded.
    pub only: Vec<(String, String)>,
}

impl<'a> LeftAlone<'a> {
    /// Only the ledger.
    pub fn ledger(ledger: &'a LedgerTable) -> LeftAlone<'a> {
        LeftAlone { ledger, schemas: Vec::new(), tables: Vec::new(), only: Vec::new() }
    }

    fn leaves(&self, schema: &str, table: &str) -> bool {
        let named = |list: &[(String, String)]| list.iter().any(|(s, t)| s == schema && t == table);
        (schema == self.ledger.schema && table == self.ledger.table)
            || (!self.only.is_empty() && !named(&self.only))
            || self.schemas.iter().any(|s| s == schema)
            || named(&self.tables)
    }
}

/// Inserts `per_table` rows into every user table of the database but those `left_alone`.
/// The values are a function of the rows already there, so two databases with the same rows
/// get the same sample rows.
pub async fn seed(client: &Client, per_table: u32, left_alone: &LeftAlone<'_>) -> Result<Seeded, tokio_postgres::Error> {
    let tables = read_tables(client, left_alone).await?;
    let mut seeded = Seeded::default();
    for table in parents_first(tables) {
        // First all rows in one round trip; only when the table refuses one, row by row.
        let all: String = (1..=per_table).map(|n| format!("{};", insert_sql(&table, n, false))).collect();
        match client.batch_execute(&format!("SAVEPOINT seed_table; {all} RELEASE SAVEPOINT seed_table")).await {
            Ok(()) => {
                seeded.rows.insert(table.name.clone(), per_table);
                continue;
            }
            Err(_) => client.batch_execute("ROLLBACK TO SAVEPOINT seed_table; RELEASE SAVEPOINT seed_table").await?,
        }
        for n in 1..=per_table {
            // A row that breaks a key or a CHECK is tried again with other values (other
            // parent rows, other list items), then with NULL where a column allows it; four
            // tries at most, a refused try undone alone.
            let mut refusal = None;
            for attempt in 0..4 {
                let sql = insert_sql(&table, n + attempt, attempt >= 2);
                match client.batch_execute(&format!("SAVEPOINT seed; {sql}; RELEASE SAVEPOINT seed")).await {
                    Ok(()) => {
                        *seeded.rows.entry(table.name.clone()).or_default() += 1;
                        refusal = None;
                        break;
                    }
                    Err(e) => {
                        client.batch_execute("ROLLBACK TO SAVEPOINT seed").await?;
                        let integrity = e.code().is_some_and(|c| c.code().starts_with("23"));
                        refusal = Some(crate::report::with_causes(&e));
                        if !integrity {
                            break;
                        }
                    }
                }
            }
            if let Some(why) = refusal {
                seeded.refused.insert(table.name.clone(), why);
            }
        }
    }
    Ok(seeded)
}

/// The user tables (an extension's left out), parents before children: the order rows go in.
/// Their names are qualified and quoted as SQL needs.
pub async fn tables_parents_first(client: &Client, left_alone: &LeftAlone<'_>) -> Result<Vec<String>, tokio_postgres::Error> {
    Ok(parents_first(read_tables(client, left_alone).await?).into_iter().map(|t| t.name).collect())
}

/// The user tables, those `left_alone` left out.
async fn read_tables(client: &Client, left_alone: &LeftAlone<'_>) -> Result<Vec<Table>, tokio_postgres::Error> {
    let mut tables: BTreeMap<u32, Table> = BTreeMap::new();
    let rows = client
        .query(
            "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, n.nspname::text AS schema, c.relname::text AS table
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname !~ '^pg_'
               AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
             ORDER BY 2",
            &[],
        )
        .await?;
    for r in rows.iter().filter(|r| !left_alone.leaves(r.get("schema"), r.get("table"))) {
        tables.insert(r.get("oid"), Table { name: r.get("name"), ..Table::default() });
    }
    let oids: Vec<u32> = tables.keys().copied().collect();
    // Columns the insert names: not identity, generated or serial (their defaults make keys),
    // each with its single-column CHECKs.
    let columns = client
        .query(
            "SELECT a.attrelid, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory::text AS category,
                    coalesce((SELECT array_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_constraint k
                              WHERE ((k.conrelid = a.attrelid AND k.conkey = ARRAY[a.attnum]) OR (k.contypid <> 0 AND k.contypid = a.atttypid))
                                AND k.contype = 'c'), '{}') AS checks,
                    NOT a.attnotnull AS nullable
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
             WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = ''
               AND NOT EXISTS (SELECT FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum
                               AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')
             ORDER BY a.attrelid, a.attnum",
            &[&oids],
        )
        .await?;
    for r in columns {
        let checks: Vec<String> = r.get("checks");
        if let Some(table) = tables.get_mut(&r.get::<_, u32>("attrelid")) {
            table.columns.push(Column {
                name: r.get("name"),
                type_sql: r.get("type"),
                category: r.get("category"),
                allowed: allowed(&checks),
                nullable: r.get("nullable"),
            });
        }
    }
    let keys = client
        .query(
            "SELECT f.conrelid, (SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = f.confrelid) AS parent,
                    array(SELECT a.attname::text FROM unnest(f.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
                    array(SELECT a.attname::text FROM unnest(f.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.n ORDER BY k.i) AS parent_columns
             FROM pg_constraint f WHERE f.contype = 'f' AND f.conrelid = ANY($1)
             ORDER BY f.conrelid, array_length(f.conkey, 1) DESC, f.conname",
            &[&oids],
        )
        .await?;
    for r in keys {
        if let Some(table) = tables.get_mut(&r.get::<_, u32>("conrelid")) {
            table.foreign_keys.push(ForeignKey {
                parent: r.get("parent"),
                columns: r.get("columns"),
                parent_columns: r.get("parent_columns"),
            });
        }
    }
    Ok(tables.into_values().collect())
}

/// Parents before children: repeated passes; a cycle is broken at its first table.
fn parents_first(tables: Vec<Table>) -> Vec<Table> {
    let mut order = Vec::new();
    let mut left = tables;
    while !left.is_empty() {
        let pending: Vec<String> = left.iter().map(|t| t.name.clone()).collect();
        let (ready, waiting): (Vec<Table>, Vec<Table>) =
            left.into_iter().partition(|t| t.foreign_keys.iter().all(|f| f.parent == t.name || !pending.contains(&f.parent)));
        if ready.is_empty() {
            let mut waiting = waiting.into_iter();
            order.extend(waiting.next());
            left = waiting.collect();
        } else {
            order.extend(ready);
            left = waiting;
        }
    }
    order
}

/// What a column's single-column CHECKs (as PostgreSQL prints them) allow: a list or a range
/// of whole numbers; anything else reads as "anything" (a refused row is reported).
fn allowed(definitions: &[String]) -> Allowed {
    let mut range = (None, None);
    for definition in definitions {
        if let Some(list) = listed_values(definition) {
            return Allowed::OneOf(list);
        }
        if let Some(pattern) = pattern(definition) {
            return pattern;
        }
        if let Some((min, max)) = bounds(definition) {
            range = (max_of(range.0, min), min_of(range.1, max));
        }
    }
    match range {
        (None, None) => Allowed::Anything,
        (min, max) => Allowed::Range(min, max),
    }
}

fn max_of(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.into_iter().chain(b).max()
}

fn min_of(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.into_iter().chain(b).min()
}

/// `col = ANY (ARRAY[…])` (which is how `col IN (…)` prints): the listed literals.
fn listed_values(definition: &str) -> Option<Vec<String>> {
    static LIST: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"= ANY \(\(?ARRAY\[(.*)\]\)").expect("a valid regex"));
    static ITEM: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"'(?:[^']|'')*'|-?\d+(?:\.\d+)?").expect("a valid regex"));
    if definition.contains(" OR ") || definition.contains(" AND ") {
        return None;
    }
    let list = LIST.captures(definition)?.get(1)?.as_str();
    let items: Vec<String> = ITEM.find_iter(list).map(|m| m.as_str().to_string()).collect();
    (!items.is_empty()).then_some(items)
}

/// `col ~ 'regex'` (or `~*`), alone: the pattern.
fn pattern(definition: &str) -> Option<Allowed> {
    static MATCH: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"^CHECK \(+[^ ]+\)? ~(\*?) '((?:[^']|'')*)'::[a-z ]+\)+$").expect("a valid regex"));
    if definition.contains(" OR ") || definition.contains(" AND ") {
        return None;
    }
    let found = MATCH.captures(definition)?;
    Some(Allowed::Pattern { regex: found[2].replace("''", "'"), case_insensitive: &found[1] == "*" })
}

/// Comparisons of the column with numbers, joined by AND: the inclusive whole-number bounds.
fn bounds(definition: &str) -> Option<(Option<i64>, Option<i64>)> {
    static COMPARISON: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"(>=|>|<=|<) \(?(-?\d+(?:\.\d+)?)\)?").expect("a valid regex"));
    if definition.contains(" OR ") {
        return None;
    }
    let (mut min, mut max) = (None, None);
    for c in COMPARISON.captures_iter(definition) {
        let number: f64 = c[2].parse().ok()?;
        match &c[1] {
            ">=" => min = max_of(min, Some(number.ceil() as i64)),
            ">" => min = max_of(min, Some(number.floor() as i64 + 1)),
            "<=" => max = min_of(max, Some(number.floor() as i64)),
            _ => max = min_of(max, Some(number.ceil() as i64 - 1)),
        }
    }
    (min.is_some() || max.is_some()).then_some((min, max))
}

/// The INSERT for sample row `n` of `table`; `sparse`: NULL in every nullable column outside
/// the foreign keys (a CHECK we cannot read passes on NULL).
fn insert_sql(table: &Table, n: u32, sparse: bool) -> String {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for fk in &table.foreign_keys {
        // Every column of the key from the same parent row (the parent's key orders its rows).
        let order = fk.parent_columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
        for (column, parent_column) in fk.columns.iter().zip(&fk.parent_columns) {
            if names.contains(&quote_ident(column)) || !table.columns.iter().any(|c| &c.name == column) {
                continue;
            }
            names.push(quote_ident(column));
            values.push(format!(
                "(SELECT {} FROM {parent} ORDER BY {order} OFFSET {} % greatest((SELECT count(*) FROM {parent}), 1) LIMIT 1)",
                quote_ident(parent_column),
                n - 1,
                parent = fk.parent
            ));
        }
    }
    for column in &table.columns {
        if !names.contains(&quote_ident(&column.name)) {
            names.push(quote_ident(&column.name));
            values.push(if sparse && column.nullable { "NULL".to_string() } else { value(&table.name, column, n) });
        }
    }
    if names.is_empty() {
        format!("INSERT INTO {} DEFAULT VALUES", table.name)
    } else {
        format!("INSERT INTO {} ({}) VALUES ({})", table.name, names.join(", "), values.join(", "))
    }
}

/// A value of the column's type for row `n`: numbers past the largest already there (keys
/// stay unique), text that fits the column's length.
fn value(table: &str, c: &Column, n: u32) -> String {
    let t = c.type_sql.as_str();
    match &c.allowed {
        Allowed::OneOf(list) => return format!("{}::{t}", list[(n as usize - 1) % list.len()]),
        Allowed::Range(..) if c.category != "N" => {}
        Allowed::Range(min, Some(max)) => {
            let low = min.unwrap_or(max.saturating_sub(99)).min(*max);
            let span = (max - low).saturating_add(1).max(1);
            return format!("{}::{t}", low.saturating_add((i64::from(n) - 1) % span));
        }
        Allowed::Pattern { regex, case_insensitive } => {
            if let Some(text) = pattern::matching_text(regex, *case_insensitive, n) {
                return format!("{}::{t}", quote_literal(&text));
            }
        }
        Allowed::Range(Some(min), None) => {
            return format!("(SELECT greatest(coalesce(max({col}) + 1, {min}), {min}) FROM {table})::{t}", col = quote_ident(&c.name));
        }
        _ => {}
    }
    let literal = match c.category.as_str() {
        "N" => return format!("(SELECT coalesce(max({col}), 0) + {n} FROM {table})::{t}", col = quote_ident(&c.name)),
        "B" => (if n % 2 == 0 { "true" } else { "false" }).to_string(),
        "D" if t.starts_with("date") => format!("'2024-01-{:02}'", n),
        "D" => format!("'2024-01-{:02} 12:00:{:02}+00'", n, n % 60),
        "E" => return format!("(enum_range(NULL::{t}))[1 + {} % array_length(enum_range(NULL::{t}), 1)]", n - 1),
        "A" => "'{}'".to_string(),
        "I" => format!("'10.0.0.{}'", n % 250 + 1),
        "T" => format!("'{n} hours'"),
        "G" if t == "point" => format!("'({n},{n})'"),
        "R" => "'empty'".to_string(),
        "U" if t == "uuid" => format!("'{}'", sample_uuid(table, &c.name, n)),
        "U" if t.starts_with("json") => format!("'{{\"n\": {n}}}'"),
        "V" => "'1'".to_string(),
        _ => quote_literal(&fitting_text(t, n)),
    };
    format!("{literal}::{t}")
}

/// A uuid that is a function of the table, the column and the row number (the same on every
/// database, unlike `gen_random_uuid()`).
fn sample_uuid(table: &str, column: &str, n: u32) -> String {
    let hash = blake3::hash(format!("{table}\u{1f}{column}\u{1f}{n}").as_bytes());
    let hex: String = hash.as_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `sqmt_<n>`, or just `<n>` when the type's length limit is shorter.
fn fitting_text(type_sql: &str, n: u32) -> String {
    let text = format!("sqmt_{n}");
    let limit = type_sql.rsplit_once('(').and_then(|(_, rest)| rest.trim_end_matches(')').parse::<usize>().ok());
    match limit {
        Some(limit) if limit < text.len() => n.to_string().chars().rev().take(limit).collect::<Vec<_>>().into_iter().rev().collect(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lists_postgres_prints() {
        assert_eq!(
            listed_values("CHECK ((status = ANY (ARRAY['open'::text, 'it''s'::text])))"),
            Some(vec!["'open'".to_string(), "'it''s'".to_string()])
        );
        assert_eq!(
            listed_values("CHECK (((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))"),
            Some(vec!["'a'".to_string(), "'b'".to_string()])
        );
        assert_eq!(listed_values("CHECK ((level = ANY (ARRAY[1, 2, 3])))"), Some(vec!["1".into(), "2".into(), "3".into()]));
        assert_eq!(listed_values("CHECK ((price > (0)::numeric))"), None);
        assert_eq!(listed_values("CHECK (((a = ANY (ARRAY[1, 2])) OR (a > 10)))"), None);
    }

    #[test]
    fn reads_ranges() {
        assert_eq!(allowed(&["CHECK (((priority >= 1) AND (priority <= 5)))".into()]), Allowed::Range(Some(1), Some(5)));
        assert_eq!(allowed(&["CHECK ((price > (0)::numeric))".into()]), Allowed::Range(Some(1), None));
        assert_eq!(allowed(&["CHECK ((a > 0))".into(), "CHECK ((a < 10))".into()]), Allowed::Range(Some(1), Some(9)));
        assert_eq!(allowed(&["CHECK (((a < 0) OR (a > 10)))".into()]), Allowed::Anything);
        assert_eq!(allowed(&["CHECK ((length(name) > 0))".into()]), Allowed::Range(Some(1), None));
    }

    #[test]
    fn reads_patterns_as_postgres_prints_them() {
        let pattern = |regex: &str, case_insensitive| Allowed::Pattern { regex: regex.into(), case_insensitive };
        assert_eq!(allowed(&["CHECK ((code ~ '^[A-Z]{3}$'::text))".into()]), pattern("^[A-Z]{3}$", false));
        assert_eq!(allowed(&["CHECK (((code)::text ~* '^x''y'::text))".into()]), pattern("^x'y", true));
        assert_eq!(allowed(&["CHECK ((VALUE ~ '^[a-z]+@[a-z]+$'::text))".into()]), pattern("^[a-z]+@[a-z]+$", false));
        assert_eq!(allowed(&["CHECK (((code ~ '^A'::text) OR (code = ''::text)))".into()]), Allowed::Anything);
    }

    #[test]
    fn values_stay_in_range() {
        let column = |allowed| Column { name: "p".into(), type_sql: "smallint".into(), category: "N".into(), allowed, nullable: false };
        let values: Vec<String> = (1..=7).map(|n| value("public.t", &column(Allowed::Range(Some(1), Some(5))), n)).collect();
        assert_eq!(values, ["1", "2", "3", "4", "5", "1", "2"].map(|v| format!("{v}::smallint")));
        assert_eq!(value("public.t", &column(Allowed::OneOf(vec!["'a'".into()])), 2), "'a'::smallint");
    }

    #[test]
    fn text_fits_the_column() {
        assert_eq!(fitting_text("text", 3), "sqmt_3");
        assert_eq!(fitting_text("character varying(20)", 3), "sqmt_3");
        assert_eq!(fitting_text("character(2)", 12), "12");
        assert_eq!(fitting_text("character varying(1)", 12), "2");
    }

    #[test]
    fn composite_foreign_keys_take_one_parent_row() {
        let table = Table {
            name: "public.line".into(),
            columns: ["tenant_id", "order_id", "note"]
                .iter()
                .map(|n| Column {
                    name: n.to_string(),
                    type_sql: "bigint".into(),
                    category: "N".into(),
                    allowed: Allowed::Anything,
                    nullable: true,
                })
                .collect(),
            foreign_keys: vec![ForeignKey {
                columns: vec!["tenant_id".into(), "order_id".into()],
                parent: "public.orders".into(),
                parent_columns: vec!["tenant_id".into(), "id".into()],
            }],
        };
        assert!(insert_sql(&table, 2, true).ends_with(", NULL)"), "a CHECK we cannot read passes on NULL");
        let sql = insert_sql(&table, 2, false);
        assert_eq!(sql.matches(r#"FROM public.orders ORDER BY "tenant_id", "id" OFFSET 1 %"#).count(), 2, "{sql}");
        assert!(sql.contains(r#"SELECT coalesce(max("note"), 0) + 2 FROM public.line"#), "{sql}");
    }
}
