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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalog::{Parent, Value};

    fn object(kind: Kind, parent: Option<(Kind, &str)>, name: &str, owned_by: Option<&str>) -> Object {
        let props = owned_by.map(|o| (Prop::OwnedBy, Value::text(o))).into_iter().collect::<BTreeMap<_, _>>();
        Object {
            kind,
            parent: parent.map(|(kind, name)| Parent { kind, name: name.into() }),
            name: name.into(),
            definition_key: None,
            props,
        }
    }

    #[test]
    fn a_schema_or_table_goes_with_everything_that_belongs_to_it() {
        let objects = [
            object(Kind::Schema, None, "squashmate_backup_20260101", None),
            object(Kind::Table, None, "squashmate_backup_20260101.sessions", None),
            object(Kind::Column, Some((Kind::Table, "squashmate_backup_20260101.sessions")), "id", None),
            object(Kind::Sequence, None, "squashmate_backup_20260101.sessions_id_seq", None),
            object(Kind::Sequence, None, "public.moved_seq", Some("squashmate_backup_20260101.sessions.id")),
            object(Kind::Grants, None, "table squashmate_backup_20260101.sessions", None),
            object(Kind::Table, None, "public.users_squashed_20260101", None),
            object(Kind::Grants, None, "column public.users_squashed_20260101.legacy", None),
            object(Kind::Table, None, "public.users", None),
            object(Kind::Column, Some((Kind::Table, "public.users")), "id", None),
            object(Kind::Schema, None, "squashmate_backup_20260101_other", None),
        ];
        let mut catalog = Catalog { objects: objects.into_iter().map(|o| (o.path(), o)).collect(), ..Catalog::default() };
        let left_out = LeftOut {
            schemas: vec!["squashmate_backup_20260101".into()],
            tables: vec![ObjectPath::top(Kind::Table, "public.users_squashed_20260101")],
        };
        assert_eq!(left_out.apply(&mut catalog), 7);
        let kept: Vec<String> = catalog.objects.keys().map(ToString::to_string).collect();
        assert_eq!(
            kept,
            ["schema squashmate_backup_20260101_other", "table public.users", "table public.users / column id"].map(String::from)
        );
        assert!(LeftOut::nothing().is_empty() && !left_out.is_empty());
    }
}
