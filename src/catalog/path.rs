//! Where an object is in a catalog, as a typed value: its kind, the object it belongs to and
//! its name, kept apart so that no code cuts a name out of a path's text or builds a path by
//! formatting one. The text (`table public.t / column "A b"`) is made once, for ordering and
//! output.

use std::cmp::Ordering;
use std::fmt;

use super::kind::{Kind, Parent};

/// An object's place: `table public.t`, `table public.t / column c`, and for the second of
/// two objects that would share one (two identical unnamed checks), `… #2`.
#[derive(Debug, Clone)]
pub struct ObjectPath {
    parent: Option<Parent>,
    kind: Kind,
    name: String,
    /// The path's text (with ` #n` for the nth object held at one place), which orders paths (and so a catalog's objects and a plan's output).
    text: String,
}

impl ObjectPath {
    /// The path of a top-level object (`table public.t`).
    pub fn top(kind: Kind, name: impl Into<String>) -> ObjectPath {
        ObjectPath::new(None, kind, name.into(), 1)
    }

    /// The path of an object that belongs to `parent` (a column of a table).
    pub fn under(parent: &Parent, kind: Kind, name: impl Into<String>) -> ObjectPath {
        ObjectPath::new(Some(parent.clone()), kind, name.into(), 1)
    }

    /// A table's column (`table <table> / column <column>`), names in their SQL form.
    pub fn column(table: &str, column: &str) -> ObjectPath {
        ObjectPath::top(Kind::Table, table).part(Kind::Column, column)
    }

    /// The path of a part of this top-level object (its column `c`).
    pub fn part(&self, kind: Kind, name: impl Into<String>) -> ObjectPath {
        debug_assert!(self.parent.is_none(), "{self} has no parts of its own");
        ObjectPath::new(Some(Parent { kind: self.kind, name: self.name.clone() }), kind, name.into(), 1)
    }

    /// The same place, for the `nth` object held there.
    pub fn nth(&self, nth: u32) -> ObjectPath {
        ObjectPath::new(self.parent.clone(), self.kind, self.name.clone(), nth)
    }

    fn new(parent: Option<Parent>, kind: Kind, name: String, nth: u32) -> ObjectPath {
        let mut text = match &parent {
            Some(parent) => format!("{parent} / {kind} {name}"),
            None => format!("{kind} {name}"),
        };
        if nth > 1 {
            text.push_str(&format!(" #{nth}"));
        }
        ObjectPath { parent, kind, name, text }
    }

    /// What the object is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What it belongs to, if anything.
    pub fn parent(&self) -> Option<&Parent> {
        self.parent.as_ref()
    }

    /// Its name, as SQL writes it (`public."Order Items"`, `c`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A top-level object's path as the parent of its parts (`None` for a part).
    pub fn as_parent(&self) -> Option<Parent> {
        match self.parent {
            None => Some(Parent { kind: self.kind, name: self.name.clone() }),
            Some(_) => None,
        }
    }

    /// Whether it is a part of the top-level object at `parent`.
    pub fn is_under(&self, parent: &ObjectPath) -> bool {
        self.parent.as_ref().is_some_and(|p| parent.is_path_of(p))
    }

    /// Whether it is `parent`'s path.
    pub fn is_path_of(&self, parent: &Parent) -> bool {
        self.parent.is_none() && self.kind == parent.kind && self.name == parent.name
    }
}

impl PartialEq for ObjectPath {
    fn eq(&self, other: &ObjectPath) -> bool {
        self.text == other.text
    }
}

impl Eq for ObjectPath {}

impl PartialOrd for ObjectPath {
    fn partial_cmp(&self, other: &ObjectPath) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ObjectPath {
    fn cmp(&self, other: &ObjectPath) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl std::hash::Hash for ObjectPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for ObjectPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_keeps_its_parts_and_writes_its_text_once() {
        let table = ObjectPath::top(Kind::Table, "public.\"a / b\"");
        let column = ObjectPath::under(&table.as_parent().unwrap(), Kind::Column, "\"x / y\"");
        assert_eq!(column.to_string(), "table public.\"a / b\" / column \"x / y\"");
        assert_eq!(column.name(), "\"x / y\"");
        assert_eq!(column.parent().map(|p| p.name.as_str()), Some("public.\"a / b\""));
        assert!(column.is_under(&table) && !table.is_under(&table) && column.as_parent().is_none());
        assert_eq!(ObjectPath::column("public.\"a / b\"", "\"x / y\""), column);
        assert_eq!(column.nth(2).to_string(), "table public.\"a / b\" / column \"x / y\" #2");
        assert_ne!(column.nth(2), column);
        // Ordered as their text: an object just before its parts.
        let mut paths = [column.clone(), ObjectPath::top(Kind::Table, "public.a"), table.clone()];
        paths.sort();
        let texts: Vec<String> = paths.iter().map(ToString::to_string).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        assert!(table < column);
    }
}
