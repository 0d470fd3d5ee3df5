//! The canonical schema: every object as a path (`table public.users / column email`) with
//! sorted properties — order-independent, so two equal schemas compare and hash equal.

use std::collections::BTreeMap;

/// One schema object and its properties.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Object {
    /// What it is: `table`, `column`, `constraint`, `index`, `function`, …
    pub kind: &'static str,
    /// The path of the object it belongs to (`table public.users` for a column), if any.
    pub parent: Option<String>,
    /// Its name as shown in paths.
    pub name: String,
    /// For objects whose names legitimately differ between equal schemas (auto-named
    /// constraints and indexes): the definition that identifies them instead.
    pub definition_key: Option<String>,
    /// Properties compared one by one.
    pub props: BTreeMap<&'static str, String>,
}

/// The kinds a `grants` or `owner` object's name starts with (`table public.t`).
const GRANTED_KINDS: [&str; 9] =
    ["materialized view ", "foreign table ", "table ", "view ", "sequence ", "function ", "procedure ", "type ", "schema "];

impl Object {
    /// For a `grants` or `owner` object, the object it is about as `<kind> <name>` (a column's
    /// grants: its table); `None` for other kinds and for default privileges.
    pub fn granted_object(&self) -> Option<String> {
        if !matches!(self.kind, "grants" | "owner") || self.name.starts_with("default privileges ") {
            return None;
        }
        match self.name.strip_prefix("column ") {
            Some(column) => column.rsplit_once('.').map(|(table, _)| format!("table {table}")),
            None => Some(self.name.clone()),
        }
    }

    /// The qualified name in a [`Object::granted_object`] (`public.t`, `public.f` without its
    /// arguments, `app` for a schema).
    pub fn granted_name(granted: &str) -> &str {
        let name = GRANTED_KINDS.iter().find_map(|k| granted.strip_prefix(k)).unwrap_or(granted);
        name.split('(').next().unwrap_or(name)
    }

    /// The object's path.
    pub fn path(&self) -> String {
        match &self.parent {
            Some(parent) => format!("{parent} / {} {}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A database's schema, keyed by object path.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Catalog {
    /// Every object.
    pub objects: BTreeMap<String, Object>,
    /// The server version it was read from (`server_version_num`).
    pub server_version_num: i32,
}

impl Catalog {
    /// Adds an object (a later one with the same path gets a numeric suffix, never lost).
    pub fn insert(&mut self, object: Object) {
        let mut path = object.path();
        let mut n = 2;
        while self.objects.contains_key(&path) {
            path = format!("{} #{n}", object.path());
            n += 1;
        }
        self.objects.insert(path, object);
    }
}
