//! dbmate's ledger table, byte for byte: `create table if not exists <schema>.<table>
//! (version varchar primary key)`, one row per applied migration.

use crate::sql::{quote_ident, quote_literal};

/// Where the ledger lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTable {
    /// Schema (dbmate: explicit prefix, else the URL's first `search_path`, else `current_schema()`).
    pub schema: String,
    /// Table name, `schema_migrations` by default.
    pub table: String,
}

impl Default for LedgerTable {
    fn default() -> Self {
        LedgerTable { schema: "public".into(), table: "schema_migrations".into() }
    }
}

impl LedgerTable {
    /// `schema.table`, quoted.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }

    /// Creates the table if missing, exactly as dbmate does.
    pub fn create_sql(&self) -> String {
        format!("create table if not exists {} (version varchar primary key)", self.qualified())
    }

    /// Records one applied version.
    pub fn insert_sql(&self, version: &str) -> String {
        format!("insert into {} (version) values ({})", self.qualified(), quote_literal(version))
    }
}
