//! The retired objects as the report lists them and the graph draws them: each retired
//! table with the foreign keys and views that depended on it, each column, each view.

use serde::Serialize;

use super::inspect::Details;
use super::plan::TableName;

/// The retired objects, as the report lists them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Retired {
    /// Tables moved to the backup.
    pub tables: Vec<RetiredTableEntry>,
    /// Columns whose values were saved by key.
    pub columns: Vec<RetiredColumnEntry>,
    /// Views and materialized views.
    pub views: Vec<RetiredViewEntry>,
}

/// A retired view: dropped by the surgery, its definition kept in the rollback.
#[derive(Debug, Clone, Serialize)]
pub struct RetiredViewEntry {
    /// `view` or `materialized view`.
    pub kind: &'static str,
    /// `schema.view`, quoted as SQL needs.
    pub name: String,
}

/// A retired table and the foreign keys the surgery drops and the rollback restores.
#[derive(Debug, Clone, Serialize)]
pub struct RetiredTableEntry {
    /// `schema.table`, quoted as SQL needs.
    pub name: String,
    /// `(constraint, table, definition)` of each foreign key from a kept table.
    pub foreign_keys: Vec<(String, String, String)>,
    /// The retired views that read it.
    pub views: Vec<String>,
}

/// A retired column.
#[derive(Debug, Clone, Serialize)]
pub struct RetiredColumnEntry {
    /// `schema.table.column`, quoted as SQL needs.
    pub name: String,
    /// Its type.
    pub type_sql: String,
    /// The key its values were saved with.
    pub key: Vec<String>,
    /// The indexes dropped with it (the rollback makes them again).
    pub indexes: Vec<String>,
    /// The constraints dropped with it (the rollback adds them again).
    pub constraints: Vec<String>,
    /// The retired views that read it.
    pub views: Vec<String>,
}

impl From<&Details> for Retired {
    fn from(details: &Details) -> Self {
        Retired {
            tables: details
                .tables
                .iter()
                .map(|t| RetiredTableEntry {
                    name: t.name.readable(),
                    foreign_keys: t.incoming.iter().map(|f| (f.name.clone(), f.table.readable(), f.definition.clone())).collect(),
                    views: t.views.iter().map(TableName::readable).collect(),
                })
                .collect(),
            columns: details
                .columns
                .iter()
                .map(|c| RetiredColumnEntry {
                    name: format!("{}.{}", c.name.table.readable(), crate::sql::quote_ident_if_needed(&c.name.column)),
                    type_sql: c.type_sql.clone(),
                    key: c.key.clone(),
                    indexes: c.indexes.iter().map(|i| i.name.clone()).collect(),
                    constraints: c.constraints.iter().map(|k| k.name.clone()).collect(),
                    views: c.views.iter().map(TableName::readable).collect(),
                })
                .collect(),
            views: details.views.iter().map(|v| RetiredViewEntry { kind: v.kind, name: v.name.readable() }).collect(),
        }
    }
}
