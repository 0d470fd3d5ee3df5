//! Objects that stay but changed: each changed property as the statement that changes it in
//! place, or the object made again where PostgreSQL has no `ALTER` for it.

use super::*;

/// Whether extension version `a` is older than `b` (`1.10` after `1.9`); versions that do not
/// read as dotted numbers are never older.
pub(super) fn is_older(a: &str, b: &str) -> bool {
    let numbers = |v: &str| v.split('.').map(|n| n.parse::<u64>().ok()).collect::<Option<Vec<u64>>>();
    matches!((numbers(a), numbers(b)), (Some(a), Some(b)) if a < b)
}

impl Planner<'_> {
    pub(super) fn alter(&mut self, path: &ObjectPath, old: &Object, new: &Object, created_tables: &BTreeSet<ObjectPath>) {
        let props: BTreeSet<Prop> = old.props.keys().chain(new.props.keys()).copied().collect();
        let changed_props: Vec<Prop> = props.into_iter().filter(|p| old.prop(*p) != new.prop(*p)).collect();
        if new.kind.is_routine() && self.names_a_remade_view(old) {
            let why = format!("{path}: its signature names a view made again (dropped before it, made again after)");
            self.step(Phase::DropViews, Block::Main, Class::NeedsConfirm, why.clone(), format!("DROP {} {}", old.kind.keyword(), old.name));
            let sql = new.prop(Prop::Definition).trim_end().trim_end_matches(';').to_string();
            self.step(Phase::Dependants, Block::Main, Class::NeedsConfirm, why, sql);
            return;
        }
        if changed_props.is_empty() {
            return;
        }
        match new.kind {
            // Kinds without an ALTER for their definition: dropped and created again.
            // A foreign table holds no rows here: on another server it is made again.
            Kind::ForeignTable if changed_props.contains(&Prop::Server) => {
                let why = format!("{path}: server {} → {}", old.prop(Prop::Server), new.prop(Prop::Server));
                self.recreate_dependants(&old.name, None, &why);
                self.step(Phase::DropDependants, Block::Main, Class::NeedsConfirm, why, format!("DROP FOREIGN TABLE {}", old.name));
                self.create_table(path, new);
                self.set_comment(new, None, Phase::Dependants);
                return;
            }
            Kind::Publication | Kind::Statistics | Kind::Rule | Kind::Collation | Kind::Cast | Kind::Operator | Kind::EventTrigger
                if !(new.kind == Kind::EventTrigger && changed_props == [Prop::Enabled]) =>
            {
                self.drop(path, old);
                self.create(path, new, created_tables);
                return;
            }
            Kind::Aggregate if changed_props.contains(&Prop::Definition) => {
                // Dropped before the definitions are made (its functions may be among them).
                let why = format!("{path}: its definition changed (dropped, then made again)");
                self.recreate_dependants(&old.name, None, &why);
                let sql = format!("DROP AGGREGATE {}", old.name);
                self.step(Phase::ReplacedRoutines, Block::Main, Class::NeedsConfirm, why, sql);
                self.create(path, new, created_tables);
                return;
            }
            Kind::Policy => {
                let p = changed_props[0];
                let why = format!("{path} / {p}: {} → {}", shown(old.prop(p)), shown(new.prop(p)));
                let sql = format!("DROP POLICY {} ON {}", old.name, old.parent_name());
                self.step(Phase::DropDependants, Block::Main, changed(p, old, new), why.clone(), sql);
                self.create_policy(new, &why);
                return;
            }
            _ => {}
        }
        let on_new_table = new.parent.as_ref().is_some_and(|p| created_tables.contains(&p.path()));
        for p in changed_props {
            let why = format!("{path} / {p}: {} → {}", shown(old.prop(p)), shown(new.prop(p)));
            let change = Change { path, old, new, prop: p, class: changed(p, old, new), why: &why, on_new_table };
            match p {
                Prop::Comment => self.set_comment(new, Some(old), Phase::Dependants),
                Prop::Position => {}
                _ => self.alter_property(&change),
            }
        }
    }

    /// One changed property other than a comment or a column's position, by what the object is.
    fn alter_property(&mut self, change: &Change<'_>) {
        let Change { path, old, new, class, .. } = *change;
        let why = change.why.to_string();
        match (new.kind, change.prop) {
            (Kind::Column, _) => self.alter_column(change),
            (Kind::Table, _) => self.alter_table(change),
            (Kind::ForeignTable, Prop::ForeignOptions) => {
                if let Some(options) = options_change(old.options(Prop::ForeignOptions), new.options(Prop::ForeignOptions)) {
                    self.step(Phase::Tables, Block::Main, class, why, format!("ALTER FOREIGN TABLE {} {options}", new.name));
                }
            }
            (Kind::Constraint | Kind::Index | Kind::Trigger, _) => self.alter_table_part(change),
            (Kind::View | Kind::MaterializedView, _) => self.alter_view(change),
            (Kind::Function | Kind::Procedure, _) => self.alter_routine(change),
            (Kind::Extension, Prop::Version) => self.update_extension(change),
            (Kind::Enum, Prop::Labels) => self.enum_labels(path, old, new, &why),
            (Kind::Domain, _) => self.alter_domain(change),
            (Kind::Server | Kind::ForeignDataWrapper, _) => self.alter_foreign(change),
            (Kind::Grants, Prop::Privileges) => self.grants(path, old.prop(Prop::Privileges), new.prop(Prop::Privileges), class, &why),
            (Kind::Owner, Prop::Owner) => self.owner(new, new.prop(Prop::Owner), class, &why),
            (Kind::EventTrigger, Prop::Enabled) => {
                let sql = event_trigger_state(new).unwrap_or_else(|| format!("ALTER EVENT TRIGGER {} ENABLE", new.name));
                self.step(Phase::Dependants, Block::Main, class, why, sql);
            }
            (Kind::Sequence, Prop::Parameters) => match sequence_options(new, Start::Alter) {
                Some(options) => {
                    let statement = format!("ALTER SEQUENCE {{}} {options}");
                    let start_left_out = match (old.sequence(), new.sequence()) {
                        (Some((_, was)), Some((_, now))) => !(now.min..=now.max).contains(&was.start),
                        _ => false,
                    };
                    let sql = match owned_sequence_column(new) {
                        Some(column) => on_owned_sequence(column, &statement),
                        None if start_left_out => {
                            restarted_if_unused(&format!("{}::regclass", quote_literal(&new.name)), &statement.replace("{}", &new.name))
                        }
                        None => statement.replace("{}", &new.name),
                    };
                    self.step(Phase::Definitions, Block::Main, class, why, sql);
                }
                None => self.unsupported(format!("{path}: unreadable sequence parameters")),
            },
            // Made again whole (in `alter`) before any property is looked at.
            (
                Kind::Policy
                | Kind::Publication
                | Kind::Aggregate
                | Kind::Statistics
                | Kind::Rule
                | Kind::Collation
                | Kind::Cast
                | Kind::Operator,
                _,
            ) => {}
            (
                Kind::ForeignTable
                | Kind::Extension
                | Kind::Enum
                | Kind::Grants
                | Kind::Owner
                | Kind::EventTrigger
                | Kind::Sequence
                | Kind::Schema
                | Kind::CompositeType
                | Kind::RangeType,
                _,
            ) => self.not_planned(change),
        }
    }

    /// A property the planner has no statement for.
    pub(super) fn not_planned(&mut self, change: &Change<'_>) {
        self.unsupported(format!("{}: not planned (no statement changes this in place yet)", change.why));
    }

    /// A table's row-level security, storage options, persistence or replica identity.
    pub(super) fn alter_table(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let why = change.why.to_string();
        match change.prop {
            Prop::RowLevelSecurity | Prop::ForceRowLevelSecurity => self.table_security(new, Some(old)),
            Prop::Options => self.reloptions("TABLE", change),
            Prop::Persistence => {
                let how = if new.prop(Prop::Persistence) == "unlogged" { "SET UNLOGGED" } else { "SET LOGGED" };
                let sql = format!("ALTER TABLE {} {how}", new.name);
                self.step(Phase::Tables, Block::Main, Class::NeedsConfirm, format!("{why} (rewrites the table)"), sql);
            }
            Prop::PartitionBound => self.attach_or_detach(change),
            // A partition's parent follows its bound (above); plain inheritance changes here.
            Prop::Inherits if !old.prop(Prop::PartitionBound).is_empty() || !new.prop(Prop::PartitionBound).is_empty() => {}
            Prop::Inherits => {
                let (was, now) = (old.items(Prop::Inherits), new.items(Prop::Inherits));
                for parent in was.iter().filter(|p| !now.contains(p)) {
                    let sql = format!("ALTER TABLE {} NO INHERIT {parent}", new.name);
                    self.step(Phase::DropDependants, Block::Main, class, why.clone(), sql);
                }
                for parent in now.iter().filter(|p| !was.contains(p)) {
                    self.step(Phase::Attachments, Block::Main, class, why.clone(), format!("ALTER TABLE {} INHERIT {parent}", new.name));
                }
            }
            Prop::ReplicaIdentity => self.replica_identity(new, class, &why),
            _ => self.not_planned(change),
        }
    }

    /// A constraint's, an index's or a trigger's definition (dropped, then made again), or a
    /// trigger's enabled state.
    pub(super) fn alter_table_part(&mut self, change: &Change<'_>) {
        let Change { old, new, class, on_new_table, .. } = *change;
        let why = change.why.to_string();
        let table = new.parent_name();
        match (new.kind, change.prop) {
            (Kind::Constraint, Prop::Definition) => {
                self.rebuild_references_to(old);
                let sql = format!("ALTER TABLE {table} DROP CONSTRAINT {}", old.name);
                let phase = drop_phase(old.prop(Prop::Definition));
                self.step(phase, Block::Main, class, format!("{why} (dropped first, then added)"), sql);
                self.add_constraint(new, on_new_table, &why);
            }
            (Kind::Index, Prop::Definition) if !on_new_table && self.replace_index_online(old, new, &why) => {}
            (Kind::Index, Prop::Definition) => {
                self.rebuild_references_to(old);
                let sql = format!("DROP INDEX {}.{}", schema_of(old.parent_name()), old.name);
                self.step(Phase::DropDependants, Block::Main, class, format!("{why} (dropped, then built again)"), sql);
                self.create_index(new, on_new_table, &why);
            }
            (Kind::Trigger, Prop::Definition) => {
                self.step(Phase::DropDependants, Block::Main, class, why.clone(), format!("DROP TRIGGER {} ON {table}", old.name));
                self.step(Phase::Dependants, Block::Main, class, why, new.prop(Prop::Definition).to_string());
            }
            (Kind::Trigger, Prop::Enabled) => {
                let how = match new.prop(Prop::Enabled) {
                    "DISABLED" => "DISABLE TRIGGER",
                    "replica only" => "ENABLE REPLICA TRIGGER",
                    "always" => "ENABLE ALWAYS TRIGGER",
                    _ => "ENABLE TRIGGER",
                };
                self.step(Phase::Dependants, Block::Main, class, why, format!("ALTER TABLE {table} {how} {}", new.name));
            }
            _ => self.not_planned(change),
        }
    }

    /// A view's definition (replaced in place where its columns allow, else made again) or
    /// options; a materialized view is always made again for its definition.
    fn alter_view(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let why = change.why.to_string();
        match (new.kind, change.prop) {
            (Kind::View, Prop::Definition) => {
                let body = new.prop(Prop::Definition).trim_end_matches(';');
                // CREATE OR REPLACE keeps the old columns, in order, and may only add after them.
                let (was, now) = (view_columns(self.from, &old.path()), view_columns(self.to, &new.path()));
                if now.starts_with(&was) {
                    self.step(Phase::Dependants, Block::Main, class, why, format!("CREATE OR REPLACE VIEW {} AS\n{body}", new.name));
                } else {
                    self.recreate_view(&old.path(), &old.name, class, &why);
                }
            }
            (_, Prop::Definition) => self.recreate_view(&old.path(), &old.name, class, &why),
            (_, Prop::Options) => self.reloptions(&new.kind.keyword(), change),
            _ => self.not_planned(change),
        }
    }

    /// A routine's body, result or parameters: replaced, or dropped first where `CREATE OR
    /// REPLACE` cannot change the result or a parameter's name or default.
    fn alter_routine(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let why = change.why.to_string();
        match change.prop {
            // One statement for both properties: at `definition` when it changed, else at `result`.
            Prop::Result if old.prop(Prop::Definition) != new.prop(Prop::Definition) => {}
            Prop::Definition | Prop::Result => {
                let header = |o: &Object| o.prop(Prop::Definition).lines().next().unwrap_or("").to_string();
                let made_again = old.prop(Prop::Result) != new.prop(Prop::Result) || header(old) != header(new);
                if made_again {
                    let sql = format!("DROP {} {}", new.kind.keyword(), old.name);
                    self.step(
                        Phase::Definitions,
                        Block::Main,
                        Class::NeedsConfirm,
                        format!("{why} (dropped and created again: its result or parameters changed)"),
                        sql,
                    );
                }
                let sql = new.prop(Prop::Definition).trim_end().trim_end_matches(';').to_string();
                self.step(Phase::Definitions, Block::Main, class, why, sql);
                if made_again {
                    self.made_again_as_the_target_has_it(new);
                }
            }
            _ => self.not_planned(change),
        }
    }

    /// An extension updated to the target's version; a downgrade refused with the manual path.
    fn update_extension(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let (was, now) = (old.prop(Prop::Version), new.prop(Prop::Version));
        if is_older(now, was) {
            return self.unsupported(format!(
                "{}: a downgrade, which needs an update script from {was} to {now} that extensions rarely ship; run ALTER EXTENSION {} UPDATE TO '{now}' by hand if yours has one",
                change.why, new.name
            ));
        }
        let sql = format!("ALTER EXTENSION {} UPDATE TO {}", new.name, quote_literal(now));
        self.step(Phase::Namespaces, Block::Main, class, change.why, sql);
    }

    /// Storage parameters, or a view's options, from `old`'s to `new`'s: those gone reset,
    /// the target's set (`ALTER <what> … RESET (…)`, `SET (…)`).
    pub(super) fn reloptions(&mut self, what: &str, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let keys = |o: &Object| -> Vec<String> { o.options(Prop::Options).iter().map(|(k, _)| k.clone()).collect() };
        let now = keys(new);
        let gone: Vec<String> = keys(old).into_iter().filter(|k| !now.contains(k)).collect();
        if !gone.is_empty() {
            let sql = format!("ALTER {what} {} RESET ({})", new.name, gone.join(", "));
            self.step(Phase::Tables, Block::Main, class, change.why, sql);
        }
        if !now.is_empty() {
            self.step(
                Phase::Tables,
                Block::Main,
                class,
                change.why,
                format!("ALTER {what} {} SET ({})", new.name, new.prop(Prop::Options)),
            );
        }
    }

    /// An existing table attached as a partition, detached, or moved to another bound
    /// (detached first). Attaching scans the table to check its rows fit the bound.
    pub(super) fn attach_or_detach(&mut self, change: &Change<'_>) {
        let Change { old, new, .. } = *change;
        let why = change.why.to_string();
        if !old.prop(Prop::PartitionBound).is_empty() {
            let sql = format!("ALTER TABLE {} DETACH PARTITION {}", old.prop(Prop::Inherits), old.name);
            // Before its parent's columns change: a detached table keeps only what it had.
            self.step(Phase::DropDependants, Block::Main, Class::NeedsConfirm, format!("{why} (detached)"), sql);
        }
        if !new.prop(Prop::PartitionBound).is_empty() {
            let sql = format!("ALTER TABLE {} ATTACH PARTITION {} {}", new.prop(Prop::Inherits), new.name, new.prop(Prop::PartitionBound));
            self.step(
                Phase::Attachments,
                Block::Main,
                Class::NeedsConfirm,
                format!("{why} (attached: its rows are checked against the bound)"),
                sql,
            );
        }
    }

    /// A foreign server's options or version, a foreign-data wrapper's options, handler or
    /// validator.
    pub(super) fn alter_foreign(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let why = change.why.to_string();
        let what = if new.kind == Kind::Server { format!("SERVER {}", new.name) } else { format!("FOREIGN DATA WRAPPER {}", new.name) };
        let phase = if new.kind == Kind::Server { Phase::Definitions } else { Phase::Namespaces };
        let sql = match (new.kind, change.prop) {
            (_, Prop::Options) => match options_change(old.options(Prop::Options), new.options(Prop::Options)) {
                Some(options) => format!("ALTER {what} {options}"),
                None => return,
            },
            (Kind::Server, Prop::Version) => format!("ALTER {what} VERSION {}", quote_literal(new.prop(Prop::Version))),
            (Kind::ForeignDataWrapper, Prop::Handler | Prop::Validator) => match new.prop(change.prop) {
                "" => format!("ALTER {what} NO {}", change.prop.as_str().to_uppercase()),
                function => format!("ALTER {what} {} {function}", change.prop.as_str().to_uppercase()),
            },
            _ => return self.not_planned(change),
        };
        self.step(phase, Block::Main, class, why, sql);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_versions_compare_as_dotted_numbers() {
        assert!(is_older("1.9", "1.10") && !is_older("1.10", "1.9") && !is_older("2.0beta", "1.0") && !is_older("1.5", "1.5"));
    }
}
