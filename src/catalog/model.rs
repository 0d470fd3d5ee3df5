//! The canonical schema: every object at its path (`table public.users / column email`) with
//! sorted properties — order-independent, so two equal schemas compare and hash equal.

use std::collections::BTreeMap;

use super::granted::Granted;
use super::kind::{Kind, Parent};
use super::path::ObjectPath;
use super::prop::{IdentitySpec, Prop, SequenceOptions, Value};

/// One schema object and its properties.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Object {
    /// What it is.
    pub kind: Kind,
    /// The object it belongs to (`table public.users` for a column), if any.
    pub parent: Option<Parent>,
    /// Its name as shown in paths.
    pub name: String,
    /// For objects whose names legitimately differ between equal schemas (auto-named
    /// constraints and indexes): the definition that identifies them instead.
    pub definition_key: Option<String>,
    /// Properties compared one by one.
    pub props: BTreeMap<Prop, Value>,
}

impl Object {
    /// A property's text (empty when it has none).
    pub fn prop(&self, prop: Prop) -> &str {
        self.props.get(&prop).map_or("", Value::as_str)
    }

    /// A list property's items, as read (none when it has none).
    pub fn items(&self, prop: Prop) -> &[String] {
        self.props.get(&prop).map_or(&[], Value::as_items)
    }

    /// An options property's `name=value` pairs, as read (none when it has none).
    pub fn options(&self, prop: Prop) -> &[(String, String)] {
        self.props.get(&prop).map_or(&[], Value::as_options)
    }

    /// A sequence's type and options.
    pub fn sequence(&self) -> Option<(&str, &SequenceOptions)> {
        self.props.get(&Prop::Parameters).and_then(Value::as_sequence)
    }

    /// An identity column's generation and sequence options.
    pub fn identity(&self) -> Option<&IdentitySpec> {
        self.props.get(&Prop::Identity).and_then(Value::as_identity)
    }

    /// For a `grants` or `owner` object, what it is about.
    pub fn granted(&self) -> Option<Granted> {
        matches!(self.kind, Kind::Grants | Kind::Owner).then(|| Granted::parse(&self.name)).flatten()
    }

    /// Whether it belongs to the object at `path`.
    pub fn is_under(&self, path: &ObjectPath) -> bool {
        self.parent.as_ref().is_some_and(|p| path.is_path_of(p))
    }

    /// The qualified name of the object it belongs to (`public.t` for a column of
    /// `table public.t`), `""` for a top-level object.
    pub fn parent_name(&self) -> &str {
        self.parent.as_ref().map_or("", |p| p.name.as_str())
    }

    /// The object's path.
    pub fn path(&self) -> ObjectPath {
        match &self.parent {
            Some(parent) => ObjectPath::under(parent, self.kind, self.name.clone()),
            None => ObjectPath::top(self.kind, self.name.clone()),
        }
    }
}

/// A database's schema, keyed by object path.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Catalog {
    /// Every object.
    pub objects: BTreeMap<ObjectPath, Object>,
    /// The server version it was read from (`server_version_num`).
    pub server_version_num: i32,
    /// What uses what, as `pg_depend` records it: (user, used), each the qualified name of a
    /// top-level object (`public.t`, a routine's without its arguments). Not part of a
    /// [`diff`](super::diff): it is how the planner orders what it makes and drops.
    pub uses: std::collections::BTreeSet<(String, String)>,
}

impl Catalog {
    /// Adds an object (a later one with the same path gets a numeric suffix, never lost).
    pub fn insert(&mut self, object: Object) {
        let mut path = object.path();
        let mut n = 2;
        while self.objects.contains_key(&path) {
            path = object.path().nth(n);
            n += 1;
        }
        self.objects.insert(path, object);
    }
}
