//! The generator's picture of the schema built so far, so every generated statement is valid
//! against what the earlier migrations made.

/// A column of a generated table.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub not_null: bool,
    /// Part of a key, a view, a policy or a trigger: never renamed, retyped or dropped.
    pub pinned: bool,
}

/// The column types the generator uses, with how each may widen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    BigInt,
    Varchar(u32),
    Text,
    Bool,
    Timestamptz,
    Numeric,
    Jsonb,
    Enum(String),
    ForeignKey,
}

impl ColumnType {
    /// The type as written in SQL.
    pub fn sql(&self) -> String {
        match self {
            ColumnType::Int => "integer".into(),
            ColumnType::BigInt | ColumnType::ForeignKey => "bigint".into(),
            ColumnType::Varchar(n) => format!("varchar({n})"),
            ColumnType::Text => "text".into(),
            ColumnType::Bool => "boolean".into(),
            ColumnType::Timestamptz => "timestamptz".into(),
            ColumnType::Numeric => "numeric(12,2)".into(),
            ColumnType::Jsonb => "jsonb".into(),
            ColumnType::Enum(name) => name.clone(),
        }
    }

    /// A literal of this type that satisfies every CHECK the generator writes.
    pub fn sample(&self, n: u64) -> String {
        match self {
            ColumnType::Int | ColumnType::BigInt => (n % 1000).to_string(),
            ColumnType::Varchar(_) | ColumnType::Text => format!("'v{}'", n % 1000),
            ColumnType::Bool => if n % 2 == 0 { "true" } else { "false" }.into(),
            ColumnType::Timestamptz => format!("'2024-01-{:02} 10:00:00+00'", n % 28 + 1),
            ColumnType::Numeric => format!("{}.50", n % 1000),
            ColumnType::Jsonb => format!("'{{\"n\": {}}}'", n % 1000),
            ColumnType::Enum(_) | ColumnType::ForeignKey => "NULL".into(),
        }
    }

    /// The type it may be widened to without losing data.
    pub fn widened(&self) -> Option<ColumnType> {
        match self {
            ColumnType::Int => Some(ColumnType::BigInt),
            ColumnType::Varchar(n) if *n < 1000 => Some(ColumnType::Varchar(n * 2)),
            ColumnType::Varchar(_) => Some(ColumnType::Text),
            _ => None,
        }
    }
}

/// A generated table.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// `(tenant_id, id)` instead of `id`.
    pub composite_key: bool,
    /// Referenced by a foreign key or a view: never dropped.
    pub has_dependents: bool,
    pub rows: u64,
    pub checks: Vec<String>,
    pub views: Vec<String>,
    pub rls: bool,
}

impl Table {
    /// Columns that may be changed freely.
    pub fn free_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.pinned)
    }

    /// The column named `name`.
    pub fn column_mut(&mut self, name: &str) -> &mut Column {
        self.columns.iter_mut().find(|c| c.name == name).expect("the generator only names columns it made")
    }
}

/// Everything made so far.
#[derive(Debug, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub enums: Vec<(String, Vec<String>)>,
    pub sequences: Vec<String>,
    pub has_trigger_function: bool,
    pub counter: u64,
}

impl Schema {
    /// A fresh number for unique names.
    pub fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}
