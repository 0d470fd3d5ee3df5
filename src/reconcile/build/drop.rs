//! Objects that go: each dropped in the phase that lets what uses it go first.

use super::*;

impl Planner<'_> {
    pub(super) fn drop(&mut self, path: &ObjectPath, object: &Object) {
        let name = &object.name;
        let class = removed(object.kind);
        let why = format!("{path}: gone");
        let table = object.parent_name();
        if object.parent.as_ref().is_some_and(|p| p.kind.is_view() && self.view_drops.contains(&p.path())) {
            return; // goes with its view, dropped and made again
        }
        let (phase, sql) = match object.kind {
            Kind::Schema => (Phase::DropNamespaces, format!("DROP SCHEMA {name}")),
            Kind::Extension => (Phase::DropNamespaces, format!("DROP EXTENSION {name}")),
            Kind::Table => (self.relation_drop_phase(object, &why), format!("DROP TABLE {name}")),
            Kind::ForeignTable => (self.relation_drop_phase(object, &why), format!("DROP FOREIGN TABLE {name}")),
            Kind::View | Kind::MaterializedView => {
                // A view the target keeps may select from this name, which another object takes.
                self.recreate_dependants(name, None, &why);
                self.view_drops.insert(path.clone());
                return;
            }
            Kind::Column if of_a_type(object) => (Phase::Drops, format!("ALTER TYPE {table} DROP ATTRIBUTE {name}")),
            // An inheriting table that keeps the column keeps it as its own (`ONLY`).
            Kind::Column if self.kept_by_a_child(object) => (Phase::Drops, format!("ALTER TABLE ONLY {table} DROP COLUMN {name}")),
            Kind::Column => (Phase::Drops, format!("ALTER TABLE {table} DROP COLUMN {name}")),
            Kind::CompositeType => (Phase::DropDefinitions, format!("DROP TYPE {name}")),
            Kind::Publication => (Phase::DropDependants, format!("DROP PUBLICATION {name}")),
            Kind::Statistics => (Phase::DropDependants, format!("DROP STATISTICS {name}")),
            Kind::Rule => (Phase::DropDependants, format!("DROP RULE {name} ON {table}")),
            Kind::Collation => (Phase::DropDefinitions, format!("DROP COLLATION {name}")),
            Kind::Constraint => {
                self.rebuild_references_to(object);
                (drop_phase(object.prop(Prop::Definition)), format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            }
            Kind::Index => {
                self.rebuild_references_to(object);
                (Phase::DropDependants, format!("DROP INDEX {}.{name}", schema_of(table)))
            }
            Kind::Sequence if object.definition_key.is_some() => return, // goes with its column
            Kind::Sequence if self.handovers.is_adopted(path) => return, // a column's own now
            Kind::Sequence if self.name_taken_by_new(object) => (Phase::DropDependants, format!("DROP SEQUENCE {name}")),
            Kind::Sequence => (Phase::DropDefinitions, format!("DROP SEQUENCE {name}")),
            Kind::Function | Kind::Procedure => {
                // Before a dropped table or view its signature names (the row type goes with it).
                let signature = format!("{name} {}", object.prop(Prop::Result));
                let names_dropped = |kinds: &[Kind]| {
                    self.from
                        .objects
                        .values()
                        .any(|o| kinds.contains(&o.kind) && !self.to.objects.contains_key(&o.path()) && names(&signature, &o.name))
                };
                let phase = if self.remade_under_its_name(object) {
                    Phase::ReplacedRoutines
                } else if names_dropped(&[Kind::View, Kind::MaterializedView]) || self.names_a_remade_view(object) {
                    Phase::DropViews
                } else if names_dropped(&[Kind::Table]) {
                    Phase::DropDependants
                } else {
                    Phase::DropDefinitions
                };
                (phase, format!("DROP {} {name}", object.kind.keyword()))
            }
            Kind::Trigger => (Phase::DropDependants, format!("DROP TRIGGER {name} ON {table}")),
            Kind::Aggregate => (Phase::DropDefinitions, format!("DROP AGGREGATE {name}")),
            Kind::Enum | Kind::Domain => (Phase::DropDefinitions, format!("DROP TYPE {name}")),
            Kind::Policy => (Phase::DropDependants, format!("DROP POLICY {name} ON {table}")),
            Kind::Cast => (Phase::DropDependants, format!("DROP CAST {name}")),
            Kind::Operator => match drop_operator(object) {
                Some(sql) => (Phase::DropDependants, sql),
                None => return self.unsupported(format!("{path}: an operator whose signature cannot be read")),
            },
            Kind::Server => (Phase::DropDefinitions, format!("DROP SERVER {name}")),
            Kind::RangeType => (Phase::DropDefinitions, format!("DROP TYPE {name}")),
            // Revoked only where the object stays: privileges go with a dropped object.
            Kind::Grants if !self.granted_object_stays(object) => return,
            Kind::Grants => return self.grants(path, object.prop(Prop::Privileges), implicit_privileges(object), class, &why),
            // Owned by whoever runs the plan, as a migration's new objects are.
            Kind::Owner if !self.granted_object_stays(object) => return,
            Kind::Owner => return self.owner(object, "CURRENT_USER", class, &why),
            Kind::EventTrigger => (Phase::DropDependants, format!("DROP EVENT TRIGGER {name}")),
            Kind::ForeignDataWrapper => (Phase::DropNamespaces, format!("DROP FOREIGN DATA WRAPPER {name}")),
        };
        self.step(phase, Block::Main, class, why, sql);
        if matches!(phase, Phase::Drops | Phase::DropDefinitions) && object.parent.is_none() {
            let name = object.name.split('(').next().unwrap_or(name).to_string();
            self.dropped.push((self.plan.steps.len() - 1, name, self.text_of(path, object)));
        }
    }

    /// Whether a table inheriting (not as a partition) from the column's table keeps a column
    /// of that name in the target.
    fn kept_by_a_child(&self, column: &Object) -> bool {
        let table = column.parent_name();
        self.to.objects.values().any(|child| {
            child.kind == Kind::Table
                && child.prop(Prop::PartitionBound).is_empty()
                && child.items(Prop::Inherits).iter().any(|p| p == table)
                && self.to.objects.contains_key(&child.path().part(Kind::Column, &column.name))
        })
    }

    /// A table goes with the drops, after what used it changed, unless a new relation takes
    /// its name: then before the new one is made, the views that select from it dropped first
    /// (and made again after, to select from the new one).
    fn relation_drop_phase(&mut self, relation: &Object, why: &str) -> Phase {
        if !self.name_taken_by_new(relation) {
            return Phase::Drops;
        }
        self.recreate_dependants(&relation.name, None, why);
        Phase::DropDependants
    }

    /// Whether the target has another kind of relation (or type) under this one's name, which
    /// PostgreSQL keeps in one namespace (`pg_class`, and the row type in `pg_type`).
    fn name_taken_by_new(&self, object: &Object) -> bool {
        let shares_names =
            |k: Kind| k.is_relation() || matches!(k, Kind::Sequence | Kind::CompositeType | Kind::Enum | Kind::Domain | Kind::RangeType);
        self.to.objects.values().any(|o| o.parent.is_none() && o.kind != object.kind && shares_names(o.kind) && o.name == object.name)
    }

    /// Everything `object` (at `path` in the source) is defined with, its columns' too: what
    /// it may name.
    pub(super) fn text_of(&self, path: &ObjectPath, object: &Object) -> String {
        let columns = self.from.objects.values().filter(|o| o.is_under(path));
        std::iter::once(object)
            .chain(columns)
            .flat_map(|o| o.props.values().map(crate::catalog::Value::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether a routine that goes has a new one under its name with as many parameters (its
    /// parameters renamed): PostgreSQL knows them as one, so the old one must go first.
    pub(super) fn remade_under_its_name(&self, routine: &Object) -> bool {
        let identity = |o: &Object| -> Option<(String, usize)> {
            let (name, arguments) = o.name.split_once('(')?;
            let arguments = arguments.strip_suffix(')')?;
            Some((name.to_string(), if arguments.is_empty() { 0 } else { arguments.split(", ").count() }))
        };
        let old = identity(routine);
        self.to
            .objects
            .iter()
            .any(|(path, o)| o.kind == routine.kind && !self.from.objects.contains_key(path) && old.is_some() && identity(o) == old)
    }

    /// Whether the object a `grants` or `owner` object is about is still in the target.
    pub(super) fn granted_object_stays(&self, grants: &Object) -> bool {
        let in_target = |kind: Kind, name: &str| self.to.objects.contains_key(&ObjectPath::top(kind, name));
        match grants.granted() {
            None | Some(Granted::Defaults { .. }) => true,
            Some(Granted::Column { table, column }) => {
                self.to.objects.values().any(|o| o.kind == Kind::Column && o.name == column && o.parent_name() == table)
            }
            // Privileges name every type `type`.
            Some(Granted::Object { class: ObjectClass::Type, name }) => {
                let is_type = |k: Kind| matches!(k, Kind::Enum | Kind::Domain | Kind::CompositeType | Kind::RangeType);
                self.to.objects.values().any(|o| o.parent.is_none() && is_type(o.kind) && o.name == name)
            }
            // Privileges name every relation `table`, sequences too. A column's own sequence is
            // known by its column, not its name (which follows old table names): its grants are
            // taken away before anything could drop it.
            Some(Granted::Object { class: ObjectClass::Table, name }) => {
                let has = |c: &Catalog| {
                    c.objects.values().any(|o| o.parent.is_none() && (o.kind.is_relation() || o.kind == Kind::Sequence) && o.name == name)
                };
                has(self.to) || !has(self.from)
            }
            // Privileges name an aggregate `function`.
            Some(Granted::Object { class: ObjectClass::Function, name }) => {
                in_target(Kind::Function, &name) || in_target(Kind::Aggregate, &name)
            }
            Some(Granted::Object { class, name }) => class.kind().is_some_and(|kind| in_target(kind, &name)),
        }
    }
}
