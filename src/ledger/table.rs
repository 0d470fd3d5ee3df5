//! dbmate's ledger table, byte for byte: `create table if not exists <schema>.<table>
//! (version varchar primary key)`, one row per applied migration, with dbmate's schema
//! resolution (explicit prefix → the URL's first `search_path` → `current_schema()` → `public`).

use tokio_postgres::Client;

use crate::sql::{quote_ident_if_needed, quote_literal};

/// Where the ledger lives, resolved and quoted as the server quotes (no needless quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTable {
    /// Schema, as an identifier ready for SQL.
    pub schema_sql: String,
    /// Table, as an identifier ready for SQL.
    pub table_sql: String,
    /// Schema name (unquoted).
    pub schema: String,
    /// Table name (unquoted).
    pub table: String,
}

impl Default for LedgerTable {
    fn default() -> Self {
        LedgerTable::quoted_locally("public", "schema_migrations")
    }
}

impl LedgerTable {
    /// A table whose identifiers are quoted here (for databases we created ourselves).
    pub fn quoted_locally(schema: &str, table: &str) -> Self {
        LedgerTable {
            schema_sql: quote_ident_if_needed(schema),
            table_sql: quote_ident_if_needed(table),
            schema: schema.into(),
            table: table.into(),
        }
    }

    /// Resolves `name` (`table` or `schema.table`) as dbmate does, quoting on the server.
    pub async fn resolve(client: &Client, name: &str, url_search_path: &[String]) -> Result<Self, tokio_postgres::Error> {
        let (schema, table) = match name.split_once('.') {
            Some((schema, table)) => (Some(schema.to_string()), table.to_string()),
            None => (url_search_path.first().cloned(), name.to_string()),
        };
        // One round trip: the schema falls back to current_schema(), then public; the server quotes.
        let row = client
            .query_one(
                "select s, quote_ident(s), quote_ident($2) from (select coalesce(nullif($1, ''), current_schema(), 'public') as s) x",
                &[&schema.unwrap_or_default(), &table],
            )
            .await?;
        let (schema, schema_sql, table_sql): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        Ok(LedgerTable { schema_sql, table_sql, schema, table })
    }

    /// `schema.table` ready for SQL.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema_sql, self.table_sql)
    }

    /// Creates the table if missing, exactly as dbmate does.
    pub fn create_sql(&self) -> String {
        format!("create table if not exists {} (version varchar primary key)", self.qualified())
    }

    /// Records one applied version.
    pub fn insert_sql(&self, version: &str) -> String {
        format!("insert into {} (version) values ({})", self.qualified(), quote_literal(version))
    }

    /// Forgets one version.
    pub fn delete_sql(&self, version: &str) -> String {
        format!("delete from {} where version = {}", self.qualified(), quote_literal(version))
    }

    /// Every recorded version, ascending.
    pub fn select_sql(&self) -> String {
        format!("select version from {} order by version asc", self.qualified())
    }
}
