//! Tables whose partitioning changes (a key set, changed or taken away): PostgreSQL changes
//! none in place and no data path keeps the rows where they are, so the table is dropped and
//! made again from the target, with its partitions, parts and grants — a destructive step that
//! needs `--allow-destructive`.

use super::*;

impl Planner<'_> {
    /// The tables to make again (paths) — those whose partition key changes and the partitions
    /// of theirs the target keeps — and the partitions that go with them.
    pub(super) fn tables_made_again(&self) -> (BTreeSet<ObjectPath>, BTreeSet<ObjectPath>) {
        let changed: Vec<&Object> = self
            .from
            .objects
            .iter()
            .filter(|(path, o)| {
                o.kind == Kind::Table
                    && self.to.objects.get(*path).is_some_and(|new| new.prop(Prop::PartitionKey) != o.prop(Prop::PartitionKey))
            })
            .map(|(_, o)| o)
            .collect();
        let partitions = self
            .from
            .objects
            .iter()
            .filter(|(_, o)| o.kind == Kind::Table && !o.prop(Prop::PartitionBound).is_empty())
            .filter(|(_, o)| changed.iter().any(|t| o.prop(Prop::Inherits) == t.name));
        let (kept, gone): (Vec<_>, Vec<_>) = partitions.map(|(p, _)| p.clone()).partition(|p| self.to.objects.contains_key(p));
        let made_again = changed.iter().map(|t| t.path()).chain(kept).collect();
        (made_again, gone.into_iter().collect())
    }

    /// Whether `object` (at `path`) is a table made again, belongs to one, or is its grants
    /// or owner.
    pub(super) fn of_a_recreated_table(&self, path: &ObjectPath, object: &Object) -> bool {
        self.recreated.contains(path)
            || object.parent.as_ref().is_some_and(|p| self.recreated.contains(&p.path()))
            || object.granted().and_then(|g| g.table()).is_some_and(|table| self.recreated.contains(&table))
    }

    /// The old table dropped before it is made again: the views that select from it first
    /// (made again after), the foreign keys of other tables that reference it dropped and
    /// added again after its keys.
    pub(super) fn drop_to_make_again(&mut self, path: &ObjectPath, old: &Object, new: &Object) {
        let shown = |o: &Object| match o.prop(Prop::PartitionKey) {
            "" => "none".to_string(),
            key => key.to_string(),
        };
        let why = format!("{path} / partition key: {} → {} (made again: its rows are not kept)", shown(old), shown(new));
        self.recreate_dependants(&old.name, None, &why);
        let keys: Vec<&Object> =
            self.from.objects.values().filter(|o| o.is_under(path) && matches!(o.kind, Kind::Constraint | Kind::Index)).collect();
        for key in keys {
            self.rebuild_references_to(key);
        }
        self.step(Phase::DropDependants, Block::Main, Class::Destructive, why, format!("DROP TABLE {}", old.name));
    }
}
