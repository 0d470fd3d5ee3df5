//! `--rename`: a table or column the target has under another name, kept with its rows
//! instead of dropped and added again. Names are held unquoted and quoted where SQL is written.

use crate::catalog::{Kind, ObjectPath};
use crate::sql::quote_ident_if_needed as quoted;

/// A table (`column` none) or a column renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The table's schema.
    pub schema: String,
    /// The table (its old name when the table itself is renamed).
    pub table: String,
    /// The column's old name, when a column is renamed.
    pub column: Option<String>,
    /// The new name.
    pub to: String,
}

impl Rename {
    /// The kind of what is renamed.
    pub fn kind(&self) -> Kind {
        if self.column.is_some() { Kind::Column } else { Kind::Table }
    }

    /// A table of its schema, named as the catalog names it.
    fn table_name(&self, table: &str) -> String {
        format!("{}.{}", quoted(&self.schema), quoted(table))
    }

    /// The catalog path of the object under its old name.
    pub fn old_path(&self) -> ObjectPath {
        match &self.column {
            Some(column) => ObjectPath::column(&self.table_name(&self.table), &quoted(column)),
            None => ObjectPath::top(Kind::Table, self.table_name(&self.table)),
        }
    }

    /// The catalog path of the object under its new name.
    pub fn new_path(&self) -> ObjectPath {
        match &self.column {
            Some(_) => ObjectPath::column(&self.table_name(&self.table), &quoted(&self.to)),
            None => ObjectPath::top(Kind::Table, self.table_name(&self.to)),
        }
    }

    /// The statement that renames it.
    pub fn sql(&self) -> String {
        let table = self.table_name(&self.table);
        match &self.column {
            Some(column) => format!("ALTER TABLE {table} RENAME COLUMN {} TO {}", quoted(column), quoted(&self.to)),
            None => format!("ALTER TABLE {table} RENAME TO {}", quoted(&self.to)),
        }
    }

    /// The way back: the new name renamed to the old.
    pub fn reversed(&self) -> Rename {
        match &self.column {
            Some(column) => Rename { column: Some(self.to.clone()), to: column.clone(), ..self.clone() },
            None => Rename { table: self.to.clone(), to: self.table.clone(), ..self.clone() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_names_both_paths_and_its_way_back_with_quoted_names() {
        let column = Rename { schema: "public".into(), table: "Order Items".into(), column: Some("old".into()), to: "new name".into() };
        assert_eq!(column.old_path().to_string(), "table public.\"Order Items\" / column old");
        assert_eq!(column.new_path().to_string(), "table public.\"Order Items\" / column \"new name\"");
        assert_eq!(column.sql(), "ALTER TABLE public.\"Order Items\" RENAME COLUMN old TO \"new name\"");
        assert_eq!(column.reversed().reversed(), column);
        assert_eq!(column.reversed().sql(), "ALTER TABLE public.\"Order Items\" RENAME COLUMN \"new name\" TO old");
        let table = Rename { schema: "app".into(), table: "t".into(), column: None, to: "T2".into() };
        assert_eq!((table.old_path().to_string(), table.new_path().to_string()), ("table app.t".into(), "table app.\"T2\"".into()));
        assert_eq!(table.reversed().sql(), "ALTER TABLE app.\"T2\" RENAME TO t");
    }
}
