//! The generator's steps: each picks something valid to do to the current schema and writes
//! the migration for it.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::model::{Column, ColumnType, Schema, Table};

const WORDS: &[&str] = &[
    "accounts",
    "orders",
    "invoices",
    "payments",
    "customers",
    "products",
    "shipments",
    "events",
    "sessions",
    "tickets",
    "projects",
    "tasks",
    "comments",
    "documents",
    "audits",
    "teams",
    "members",
    "plans",
    "usage",
    "webhooks",
    "tokens",
    "reports",
    "settings",
    "messages",
    "agents",
];
const COLUMN_WORDS: &[&str] = &[
    "title",
    "amount",
    "status_note",
    "priority",
    "email",
    "score",
    "label",
    "notes",
    "quantity",
    "region",
    "external_ref",
    "payload",
    "flag",
    "due_at",
    "price",
    "summary",
];

/// One migration: its up blocks and its down SQL.
pub struct Step {
    pub name: String,
    /// Blocks of the up side: (SQL, runs in a transaction).
    pub up: Vec<(String, bool)>,
    pub down: String,
}

impl Step {
    fn single(name: impl Into<String>, up: String, down: impl Into<String>) -> Self {
        Step { name: name.into(), up: vec![(up, true)], down: down.into() }
    }

    /// The file text in dbmate's format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, (sql, transactional)) in self.up.iter().enumerate() {
            out.push_str(if *transactional { "-- migrate:up\n" } else { "-- migrate:up transaction:false\n" });
            out.push_str(sql);
            out.push_str("\n\n-- migrate:down\n");
            if i + 1 == self.up.len() {
                out.push_str(&self.down);
                out.push('\n');
            }
        }
        out
    }
}

/// Picks and writes migration number `index`.
pub fn next_step(schema: &mut Schema, rng: &mut ChaCha8Rng, index: usize) -> Step {
    if schema.tables.len() < 3 || index < 3 {
        return create_table(schema, rng);
    }
    loop {
        let pick = rng.random_range(0..100);
        let step = match pick {
            0..12 => Some(create_table(schema, rng)),
            12..20 => add_column(schema, rng),
            20..25 => rename_column(schema, rng),
            25..28 => rename_table(schema, rng),
            28..33 => widen_column(schema, rng),
            33..38 => set_not_null(schema, rng),
            38..41 => drop_not_null(schema, rng),
            41..46 => add_check(schema, rng),
            46..49 => replace_check(schema, rng),
            49..53 => enum_step(schema, rng),
            53..57 => create_view(schema, rng),
            57..59 => replace_view(schema, rng),
            59..63 => trigger_step(schema, rng),
            63..66 => rls_step(schema, rng),
            66..71 => index_step(schema, rng),
            71..74 => sequence_step(schema, rng),
            74..79 => comment_step(schema, rng),
            79..82 => drop_table(schema, rng),
            82..85 => drop_column(schema, rng),
            _ => insert_rows(schema, rng),
        };
        if let Some(step) = step {
            return step;
        }
    }
}

fn pick_table<'a>(schema: &'a mut Schema, rng: &mut ChaCha8Rng) -> &'a mut Table {
    let i = rng.random_range(0..schema.tables.len());
    &mut schema.tables[i]
}

fn random_type(schema: &Schema, rng: &mut ChaCha8Rng) -> ColumnType {
    match rng.random_range(0..10) {
        0 => ColumnType::Int,
        1 => ColumnType::BigInt,
        2 | 3 => ColumnType::Varchar(*[40u32, 80, 120, 255].choose(rng).expect("non-empty")),
        4 => ColumnType::Text,
        5 => ColumnType::Bool,
        6 => ColumnType::Timestamptz,
        7 => ColumnType::Numeric,
        8 => ColumnType::Jsonb,
        _ => match schema.enums.choose(rng) {
            Some((name, _)) => ColumnType::Enum(name.clone()),
            None => ColumnType::Text,
        },
    }
}

fn create_table(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Step {
    let n = schema.next();
    let name = format!("{}_{n}", WORDS.choose(rng).expect("non-empty"));
    let composite = rng.random_bool(0.3);
    let mut columns = Vec::new();
    let mut lines = Vec::new();
    if composite {
        lines.push("tenant_id bigint NOT NULL".to_string());
        lines.push("id bigint NOT NULL".to_string());
        columns.push(Column { name: "tenant_id".into(), ty: ColumnType::BigInt, not_null: true, pinned: true });
    } else if rng.random_bool(0.5) {
        lines.push("id bigserial PRIMARY KEY".to_string());
    } else {
        lines.push("id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY".to_string());
    }
    columns.push(Column { name: "id".into(), ty: ColumnType::BigInt, not_null: true, pinned: true });
    for _ in 0..rng.random_range(1..5) {
        let col = format!("{}_{}", COLUMN_WORDS.choose(rng).expect("non-empty"), schema.next());
        let ty = random_type(schema, rng);
        let not_null = rng.random_bool(0.3) && !matches!(ty, ColumnType::Enum(_));
        let default = if not_null { format!(" NOT NULL DEFAULT {}", ty.sample(0)) } else { String::new() };
        lines.push(format!("{col} {}{default}", ty.sql()));
        columns.push(Column { name: col, ty, not_null, pinned: false });
    }
    let parents: Vec<String> = schema.tables.iter().filter(|t| !t.composite_key).map(|t| t.name.clone()).collect();
    if let Some(parent) = parents.choose(rng).filter(|_| rng.random_bool(0.4)) {
        let col = format!("{parent}_id");
        lines.push(format!(
            "{col} bigint REFERENCES {parent} (id) ON DELETE {}",
            ["CASCADE", "SET NULL", "RESTRICT"].choose(rng).expect("non-empty")
        ));
        columns.push(Column { name: col, ty: ColumnType::ForeignKey, not_null: false, pinned: true });
        if let Some(p) = schema.tables.iter_mut().find(|t| &t.name == parent) {
            p.has_dependents = true;
        }
    }
    if composite {
        lines.push("PRIMARY KEY (tenant_id, id)".to_string());
    }
    let sql = format!("CREATE TABLE {name} (\n    {}\n);", lines.join(",\n    "));
    let down = format!("DROP TABLE {name};");
    schema.tables.push(Table {
        name: name.clone(),
        columns,
        composite_key: composite,
        has_dependents: false,
        rows: 0,
        checks: vec![],
        views: vec![],
        rls: false,
    });
    Step::single(format!("create_{name}"), sql, down)
}

fn add_column(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let ty = random_type(schema, rng);
    let table = pick_table(schema, rng);
    let col = format!("{}_{n}", COLUMN_WORDS.choose(rng).expect("non-empty"));
    let sql = format!("ALTER TABLE {} ADD COLUMN {col} {};", table.name, ty.sql());
    let down = format!("ALTER TABLE {} DROP COLUMN {col};", table.name);
    table.columns.push(Column { name: col.clone(), ty, not_null: false, pinned: false });
    Some(Step::single(format!("add_{col}_to_{}", table.name), sql, down))
}

fn rename_column(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let table = pick_table(schema, rng);
    let old = table.free_columns().collect::<Vec<_>>().choose(rng)?.name.clone();
    let base = old.rsplit_once('_').map_or(old.as_str(), |(b, _)| b).to_string();
    let new = format!("{base}_{n}");
    let sql = format!("ALTER TABLE {} RENAME COLUMN {old} TO {new};", table.name);
    let down = format!("ALTER TABLE {} RENAME COLUMN {new} TO {old};", table.name);
    table.column_mut(&old).name = new.clone();
    Some(Step::single(format!("rename_{old}_to_{new}"), sql, down))
}

fn rename_table(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let i = rng.random_range(0..schema.tables.len());
    let old = schema.tables[i].name.clone();
    let base = old.rsplit_once('_').map_or(old.as_str(), |(b, _)| b).to_string();
    let new = format!("{base}_{n}");
    for table in &mut schema.tables {
        for col in &mut table.columns {
            if col.ty == ColumnType::ForeignKey && col.name == format!("{old}_id") {
                // The column keeps its name; only the referenced table's name changes.
                col.pinned = true;
            }
        }
    }
    schema.tables[i].name = new.clone();
    let sql = format!("ALTER TABLE {old} RENAME TO {new};");
    let down = format!("ALTER TABLE {new} RENAME TO {old};");
    Some(Step::single(format!("rename_{old}_to_{new}"), sql, down))
}

fn widen_column(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let table = pick_table(schema, rng);
    let candidates: Vec<(String, ColumnType)> = table.free_columns().filter_map(|c| c.ty.widened().map(|w| (c.name.clone(), w))).collect();
    let (col, wider) = candidates.choose(rng)?.clone();
    let old = table.column_mut(&col).ty.clone();
    let sql = format!("ALTER TABLE {} ALTER COLUMN {col} TYPE {};", table.name, wider.sql());
    let down = format!("ALTER TABLE {} ALTER COLUMN {col} TYPE {};", table.name, old.sql());
    table.column_mut(&col).ty = wider;
    Some(Step::single(format!("widen_{}_{col}", table.name), sql, down))
}

fn set_not_null(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let table = pick_table(schema, rng);
    let candidates: Vec<(String, ColumnType)> = table
        .free_columns()
        .filter(|c| !c.not_null && !matches!(c.ty, ColumnType::Enum(_)))
        .map(|c| (c.name.clone(), c.ty.clone()))
        .collect();
    let (col, ty) = candidates.choose(rng)?.clone();
    let sql = format!(
        "UPDATE {t} SET {col} = {v} WHERE {col} IS NULL;\nALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;",
        t = table.name,
        v = ty.sample(1)
    );
    let down = format!("ALTER TABLE {} ALTER COLUMN {col} DROP NOT NULL;", table.name);
    table.column_mut(&col).not_null = true;
    Some(Step::single(format!("require_{}_{col}", table.name), sql, down))
}

fn drop_not_null(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let table = pick_table(schema, rng);
    let col = table.free_columns().filter(|c| c.not_null).collect::<Vec<_>>().choose(rng)?.name.clone();
    let sql = format!("ALTER TABLE {} ALTER COLUMN {col} DROP NOT NULL;", table.name);
    let down = format!("ALTER TABLE {} ALTER COLUMN {col} SET NOT NULL;", table.name);
    table.column_mut(&col).not_null = false;
    Some(Step::single(format!("relax_{}_{col}", table.name), sql, down))
}

/// A CHECK that every sample value satisfies.
fn check_for(col: &Column, bound: u64) -> Option<String> {
    match col.ty {
        ColumnType::Int | ColumnType::BigInt | ColumnType::Numeric => {
            Some(format!("{} >= 0 AND {} < {}", col.name, col.name, 1000 + bound))
        }
        ColumnType::Varchar(_) | ColumnType::Text => Some(format!("char_length({}) <= {}", col.name, 20 + bound)),
        _ => None,
    }
}

fn add_check(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let table = pick_table(schema, rng);
    let col = table.free_columns().filter(|c| check_for(c, 0).is_some()).collect::<Vec<_>>().choose(rng).map(|c| (*c).clone())?;
    let name = format!("{}_{}_check_{n}", table.name, col.name);
    let name: String = name.chars().take(60).collect();
    let sql = format!("ALTER TABLE {} ADD CONSTRAINT {name} CHECK ({});", table.name, check_for(&col, n % 50)?);
    let down = format!("ALTER TABLE {} DROP CONSTRAINT {name};", table.name);
    table.column_mut(&col.name).pinned = true;
    table.checks.push(format!("{name}|{}", col.name));
    Some(Step::single(format!("check_{}", table.name), sql, down))
}

fn replace_check(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let table = pick_table(schema, rng);
    let entry = table.checks.choose(rng)?.clone();
    let (name, col) = entry.split_once('|')?;
    let column = table.columns.iter().find(|c| c.name == col)?.clone();
    let sql = format!(
        "ALTER TABLE {t} DROP CONSTRAINT {name};\nALTER TABLE {t} ADD CONSTRAINT {name} CHECK ({});",
        check_for(&column, 50 + n % 50)?,
        t = table.name
    );
    Some(Step::single(format!("replace_check_{}", table.name), sql, "-- the old CHECK is not restored"))
}

fn enum_step(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    if schema.enums.is_empty() || rng.random_bool(0.4) {
        let name = format!("status_{n}");
        let labels = vec!["draft".to_string(), "active".to_string(), "archived".to_string()];
        let sql = format!("CREATE TYPE {name} AS ENUM ({});", labels.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", "));
        let down = format!("DROP TYPE {name};");
        schema.enums.push((name.clone(), labels));
        return Some(Step::single(format!("create_type_{name}"), sql, down));
    }
    let i = rng.random_range(0..schema.enums.len());
    let (name, labels) = &mut schema.enums[i];
    let label = format!("state_{n}");
    let position = match labels.first() {
        Some(first) if rng.random_bool(0.3) => format!(" BEFORE '{first}'"),
        _ => String::new(),
    };
    let sql = format!("ALTER TYPE {name} ADD VALUE '{label}'{position};");
    labels.push(label.clone());
    Some(Step::single(format!("add_{label}_to_{name}"), sql, "-- enum values cannot be removed"))
}

fn create_view(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let table = pick_table(schema, rng);
    let col = table.free_columns().collect::<Vec<_>>().choose(rng)?.name.clone();
    let view = format!("v_{}_{n}", table.name.chars().take(40).collect::<String>());
    let sql = format!("CREATE VIEW {view} AS\n    SELECT id, {col} FROM {} WHERE id > 0;", table.name);
    let down = format!("DROP VIEW {view};");
    table.column_mut(&col).pinned = true;
    table.has_dependents = true;
    table.views.push(format!("{view}|{col}"));
    Some(Step::single(format!("create_{view}"), sql, down))
}

fn replace_view(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let table = pick_table(schema, rng);
    let entry = table.views.choose(rng)?.clone();
    let (view, col) = entry.split_once('|')?;
    let sql = format!("CREATE OR REPLACE VIEW {view} AS\n    SELECT id, {col} FROM {} WHERE id > {};", table.name, n % 100);
    Some(Step::single(format!("redefine_{view}"), sql, "-- the previous definition is not restored"))
}

fn trigger_step(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let mut sql = String::new();
    if !schema.has_trigger_function {
        schema.has_trigger_function = true;
        sql.push_str(
            "CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger\nLANGUAGE plpgsql AS $$\nBEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND;\n$$;\n",
        );
    }
    let table = pick_table(schema, rng);
    if table.columns.iter().any(|c| c.name == "updated_at") {
        return None;
    }
    let trigger = format!("trg_touch_{n}");
    sql.push_str(&format!(
        "ALTER TABLE {t} ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();\nCREATE TRIGGER {trigger} BEFORE UPDATE ON {t}\n    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();",
        t = table.name
    ));
    let down = format!("DROP TRIGGER {trigger} ON {t};\nALTER TABLE {t} DROP COLUMN updated_at;", t = table.name);
    table.columns.push(Column { name: "updated_at".into(), ty: ColumnType::Timestamptz, not_null: true, pinned: true });
    Some(Step::single(format!("touch_{}", table.name), sql, down))
}

fn rls_step(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let candidates: Vec<usize> = (0..schema.tables.len()).filter(|&i| schema.tables[i].composite_key && !schema.tables[i].rls).collect();
    let table = &mut schema.tables[*candidates.choose(rng)?];
    table.rls = true;
    let policy = format!("tenant_isolation_{n}");
    let sql = format!(
        "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nCREATE POLICY {policy} ON {t}\n    USING (tenant_id = current_setting('app.tenant_id', true)::bigint);",
        t = table.name
    );
    let down = format!("DROP POLICY {policy} ON {t};\nALTER TABLE {t} DISABLE ROW LEVEL SECURITY;", t = table.name);
    Some(Step::single(format!("rls_{}", table.name), sql, down))
}

fn index_step(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let concurrently = rng.random_bool(0.35);
    let partial = rng.random_bool(0.3);
    let table = pick_table(schema, rng);
    let col = table.free_columns().filter(|c| c.ty != ColumnType::Jsonb).collect::<Vec<_>>().choose(rng)?.name.clone();
    table.column_mut(&col).pinned = true;
    let index = format!("idx_{n}_{}", col.chars().take(40).collect::<String>());
    let filter = if partial { format!(" WHERE {col} IS NOT NULL") } else { String::new() };
    let how = if concurrently { "CREATE INDEX CONCURRENTLY" } else { "CREATE INDEX" };
    let sql = format!("{how} {index} ON {} ({col}){filter};", table.name);
    let down = format!("DROP INDEX {index};");
    let mut step = Step::single(format!("index_{}", table.name), sql, down);
    step.up[0].1 = !concurrently;
    Some(step)
}

fn sequence_step(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    if let Some(seq) = schema.sequences.choose(rng).filter(|_| rng.random_bool(0.4)).cloned() {
        let sql = format!("ALTER SEQUENCE {seq} INCREMENT BY {};", n % 9 + 2);
        return Some(Step::single(format!("alter_{seq}"), sql, format!("ALTER SEQUENCE {seq} INCREMENT BY 1;")));
    }
    let seq = format!("ticket_number_{n}");
    schema.sequences.push(seq.clone());
    let sql = format!("CREATE SEQUENCE {seq} START WITH 1000 INCREMENT BY 1;");
    Some(Step::single(format!("create_{seq}"), sql, format!("DROP SEQUENCE {seq};")))
}

fn comment_step(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let n = schema.next();
    let table = pick_table(schema, rng);
    let sql = if rng.random_bool(0.5) {
        format!("COMMENT ON TABLE {} IS 'What {} holds (rev {n}).';", table.name, table.name)
    } else {
        let col = table.columns.choose(rng)?.name.clone();
        format!("COMMENT ON COLUMN {}.{col} IS 'Meaning of {col}, it''s documented (rev {n}).';", table.name)
    };
    Some(Step::single(format!("comment_{}", table.name), sql, ""))
}

fn drop_table(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    if schema.tables.len() < 6 {
        return None;
    }
    let candidates: Vec<usize> = (0..schema.tables.len()).filter(|&i| !schema.tables[i].has_dependents).collect();
    let i = *candidates.choose(rng)?;
    let table = schema.tables.remove(i);
    let sql = format!("DROP TABLE {};", table.name);
    Some(Step::single(format!("drop_{}", table.name), sql, "-- dropped data cannot be restored"))
}

fn drop_column(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let table = pick_table(schema, rng);
    let col = table.free_columns().collect::<Vec<_>>().choose(rng)?.name.clone();
    table.columns.retain(|c| c.name != col);
    let sql = format!("ALTER TABLE {} DROP COLUMN {col};", table.name);
    Some(Step::single(format!("drop_{col}"), sql, "-- dropped data cannot be restored"))
}

fn insert_rows(schema: &mut Schema, rng: &mut ChaCha8Rng) -> Option<Step> {
    let table = pick_table(schema, rng);
    let insertable: Vec<&Column> = table.columns.iter().filter(|c| c.name != "id" && c.name != "updated_at").collect();
    let mut names: Vec<String> = insertable.iter().map(|c| c.name.clone()).collect();
    if table.composite_key {
        names.push("id".into());
    }
    let mut rows = Vec::new();
    for _ in 0..3 {
        table.rows += 1;
        let mut values: Vec<String> = insertable.iter().map(|c| c.ty.sample(table.rows)).collect();
        if table.composite_key {
            values.push(table.rows.to_string());
        }
        rows.push(format!("({})", values.join(", ")));
    }
    let sql = if names.is_empty() {
        format!("INSERT INTO {} DEFAULT VALUES;", table.name)
    } else {
        format!("INSERT INTO {} ({}) VALUES\n    {};", table.name, names.join(", "), rows.join(",\n    "))
    };
    Some(Step::single(format!("seed_{}", table.name), sql, format!("DELETE FROM {};", table.name)))
}
