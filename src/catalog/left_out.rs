//! Objects a comparison leaves out by where they live — whole schemas and single tables, with
//! everything that belongs to them (columns, indexes, constraints, owned sequences, grants on
//! them): a squash's backups, which no migration makes and no comparison should report.

use std::collections::BTreeSet;

use super::granted::Granted;
use super::kind::Kind;
use super::model::{Catalog, Object};
use super::path::ObjectPath;
use super::prop::Prop;
use crate::sql::parse_qualified;

/// What to leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Schemas (unquoted names) left out with everything in them.
    pub schemas: Vec<String>,
    /// Tables (catalog paths) left out with what belongs to them.
    pub tables: Vec<ObjectPath>,
}

impl LeftOut {
    /// Leaves nothing out.
    pub fn nothing() -> LeftOut {
        LeftOut::default()
    }

    /// Whether it leaves nothing out.
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty() && self.tables.is_empty()
    }

    /// Removes the left-out objects from `catalog`; returns how many top-level ones went.
    pub fn apply(&self, catalog: &mut Catalog) -> usize {
        let hidden: BTreeSet<ObjectPath> =
            catalog.objects.values().filter(|o| o.parent.is_none() && self.hides(o)).map(|o| o.path()).collect();
        catalog
            .objects
            .retain(|_, o| !hidden.contains(&o.path()) && !o.parent.as_ref().is_some_and(|parent| hidden.contains(&parent.path())));
        hidden.len()
    }

    /// Whether a top-level object is left out: a listed schema or table, or anything whose
    /// qualified name (an owned sequence: its column's; a grant: its object's) is in one.
    pub fn hides(&self, object: &Object) -> bool {
        if self.tables.contains(&object.path())
            || object.granted().and_then(|g| g.table()).is_some_and(|table| self.tables.contains(&table))
        {
            return true;
        }
        if self.schemas.is_empty() {
            return false;
        }
        let in_schema = |parts: &[String]| parts.first().is_some_and(|s| self.schemas.contains(s));
        if object.kind == Kind::Schema {
            return parse_qualified(&object.name).is_ok_and(|parts| parts.len() == 1 && in_schema(&parts));
        }
        let granted = object.granted();
        if let Some(name) = granted.as_ref().and_then(Granted::qualified_name) {
            return parse_qualified(name).is_ok_and(|parts| in_schema(&parts));
        }
        let qualified = match object.prop(Prop::OwnedBy) {
            "" => &object.name,
            owner => owner,
        };
        parse_qualified(qualified).is_ok_and(|parts| parts.len() >= 2 && in_schema(&parts))
    }
}
