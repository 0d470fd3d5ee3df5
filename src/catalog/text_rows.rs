//! Rows of a catalog query read as text, each column taken by the name the query gives it (a
//! query and its reader cannot drift apart by position).

use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

/// One row: its text columns by name.
pub struct TextRow(SimpleQueryRow);

impl TextRow {
    /// The column `name`, `None` for NULL. Panics when the query has no such column: the query
    /// and its reader disagree, which is a bug.
    pub fn opt(&self, name: &str) -> Option<&str> {
        match self.0.try_get(name) {
            Ok(value) => value,
            Err(_) => panic!("query has no column `{name}`"),
        }
    }

    /// The column `name` (empty for NULL).
    pub fn get(&self, name: &str) -> &str {
        self.opt(name).unwrap_or("")
    }

    /// The column `name`, owned (empty for NULL).
    pub fn text(&self, name: &str) -> String {
        self.get(name).to_string()
    }

    /// The column `name`, owned, `None` for NULL.
    pub fn owned(&self, name: &str) -> Option<String> {
        self.opt(name).map(str::to_string)
    }
}

/// Runs `sql` (simple protocol: several statements allowed) and returns the rows of its result.
pub async fn text_rows(client: &Client, sql: &str) -> Result<Vec<TextRow>, tokio_postgres::Error> {
    Ok(client
        .simple_query(sql)
        .await?
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(TextRow(row)),
            _ => None,
        })
        .collect())
}
