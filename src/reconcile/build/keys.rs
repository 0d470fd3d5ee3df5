//! Keys and the foreign keys that reference them: read from their definitions, added `NOT
//! VALID` and validated later, and dropped and added again around a change to the key they use.

use super::*;

/// Whether a constraint definition is a key a foreign key may reference (or an exclusion
/// constraint, built with the keys).
pub(super) fn is_key(definition: &str) -> bool {
    ["PRIMARY KEY", "UNIQUE", "EXCLUDE"].iter().any(|k| definition.starts_with(k))
}

/// Where a constraint is dropped: a foreign key before the keys it may reference.
pub(super) fn drop_phase(definition: &str) -> Phase {
    if definition.starts_with("FOREIGN KEY") { Phase::DropForeignKeys } else { Phase::DropDependants }
}

/// The columns of a key: `PRIMARY KEY (a, b)`, `UNIQUE [NULLS NOT DISTINCT] (a)`, or a unique
/// index's `CREATE UNIQUE INDEX ON t USING btree (a)` (not one over expressions or partial).
pub(super) fn key_columns(definition: &str) -> Option<Vec<&str>> {
    let list = if let Some(rest) = definition.strip_prefix("CREATE UNIQUE INDEX") {
        if rest.contains(" WHERE ") {
            return None;
        }
        let list = rest.split_once(" USING ")?.1.split_once('(')?.1;
        &list[..closing(list, 0, '(', ')')?]
    } else {
        let rest = definition.strip_prefix("PRIMARY KEY").or_else(|| definition.strip_prefix("UNIQUE"))?;
        rest.split_once('(')?.1.split_once(')')?.0
    };
    let columns: Vec<&str> = list.split(", ").map(str::trim).collect();
    columns.iter().all(|c| !c.contains('(') && !c.contains(' ')).then_some(columns)
}

/// The table and columns a foreign key references (`FOREIGN KEY (a) REFERENCES s.t(b) …`).
pub(super) fn references(definition: &str) -> Option<(&str, Vec<&str>)> {
    let rest = definition.strip_prefix("FOREIGN KEY")?.split_once(" REFERENCES ")?.1;
    let (table, rest) = rest.split_once('(')?;
    Some((table, rest.split_once(')')?.0.split(", ").map(str::trim).collect()))
}

/// Whether two column lists hold the same columns (a key matches in any order).
pub(super) fn same_columns(a: &[&str], b: &[&str]) -> bool {
    let sorted = |c: &[&str]| -> BTreeSet<String> { c.iter().map(|s| s.to_string()).collect() };
    a.len() == b.len() && sorted(a) == sorted(b)
}

impl<'a> Planner<'a> {
    pub(super) fn add_constraint(&mut self, constraint: &Object, on_new_table: bool, why: &str) {
        let table = constraint.parent_name();
        let definition = constraint.prop(Prop::Definition);
        let name = &constraint.name;
        let validate_later = !self.options.simple
            && !on_new_table
            && (definition.starts_with("CHECK") || definition.starts_with("FOREIGN KEY"))
            && !definition.ends_with("NOT VALID");
        if self.references_a_concurrent_index(definition) {
            // After the unique index it references is built, outside the main transaction.
            let (class, why) = (Class::NeedsConfirm, format!("{why} (after the unique index it references is built)"));
            if validate_later {
                let sql = format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID");
                self.step(Phase::Dependants, Block::AfterIndexes, class, why.clone(), sql);
                let sql = format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name}");
                self.step(Phase::Validations, Block::AfterIndexes, class, why, sql);
            } else {
                self.step(
                    Phase::Dependants,
                    Block::AfterIndexes,
                    class,
                    why,
                    format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"),
                );
            }
            return;
        }
        if validate_later {
            let sql = format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID");
            self.step(Phase::Dependants, Block::Main, Class::NeedsConfirm, format!("{why} (added NOT VALID: no long lock)"), sql);
            let sql = format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name}");
            self.step(Phase::Validations, Block::Validate, Class::NeedsConfirm, format!("{why} (validated in its own transaction)"), sql);
        } else {
            let class = if on_new_table { Class::Safe } else { Class::NeedsConfirm };
            let phase = if is_key(definition) { Phase::Keys } else { Phase::Dependants };
            self.step(phase, Block::Main, class, why, format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"));
        }
    }

    /// Whether a foreign key references the columns of a unique index the plan builds
    /// concurrently (new or built again, on a table that exists already).
    pub(super) fn references_a_concurrent_index(&self, definition: &str) -> bool {
        let Some((table, columns)) = references(definition) else { return false };
        let parent = ObjectPath::top(Kind::Table, table);
        !self.options.simple
            && self.from.objects.contains_key(&parent)
            && self.to.objects.iter().any(|(path, o)| {
                o.kind == Kind::Index
                    && o.is_under(&parent)
                    && self.from.objects.get(path).is_none_or(|was| was.prop(Prop::Definition) != o.prop(Prop::Definition))
                    && key_columns(o.prop(Prop::Definition))
                        .is_some_and(|c| o.prop(Prop::Definition).starts_with("CREATE UNIQUE INDEX") && same_columns(&c, &columns))
            })
    }

    /// A constraint or index the target has under another name, same definition: renamed
    /// (before anything new may take the old name). An owned sequence follows its column.
    pub(super) fn rename_part(&mut self, old: &Object, new: &Object) {
        if old.name == new.name {
            return;
        }
        let why = format!("{}: named {} in the target", old.path(), new.name);
        let sql = match new.kind {
            Kind::Constraint => format!("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", old.parent_name(), old.name, new.name),
            Kind::Index => format!("ALTER INDEX {}.{} RENAME TO {}", schema_of(old.parent_name()), old.name, new.name),
            _ => return,
        };
        self.step(Phase::DropDependants, Block::Main, Class::Safe, why, sql);
    }

    /// The source's foreign keys that reference the columns of `key` (a primary key, unique
    /// constraint or unique index): those PostgreSQL makes depend on it.
    pub(super) fn foreign_keys_using(&self, key: &Object) -> Vec<&'a Object> {
        let Some(columns) = key_columns(key.prop(Prop::Definition)) else { return Vec::new() };
        let table = key.parent_name();
        self.from
            .objects
            .values()
            .filter(|o| {
                o.kind == Kind::Constraint
                    && references(o.prop(Prop::Definition)).is_some_and(|(t, c)| t == table && same_columns(&c, &columns))
            })
            .collect()
    }

    /// The foreign keys that stay but reference `key` (a primary key, unique constraint or
    /// unique index that goes or changes) are dropped before it and added again after the keys
    /// (`NOT VALID`, then validated), as PostgreSQL refuses to drop a key a foreign key uses.
    pub(super) fn rebuild_references_to(&mut self, key: &Object) {
        let to = self.to;
        let all_referencing = self.foreign_keys_using(key).into_iter();
        // Those of a table that goes: dropped before the key, the table after.
        let of_dropped_tables: Vec<&Object> = all_referencing
            .clone()
            .filter(|fk| fk.parent.as_ref().is_some_and(|p| p.kind == Kind::Table && !to.objects.contains_key(&p.path())))
            .collect();
        for fk in of_dropped_tables {
            if self.rebuilt_references.insert(fk.path()) {
                let why = format!("{}: references {} {}, which is dropped or changed (its table goes)", fk.path(), key.kind, key.name);
                let sql = format!("ALTER TABLE {} DROP CONSTRAINT {}", fk.parent_name(), fk.name);
                self.step(Phase::DropForeignKeys, Block::Main, Class::NeedsConfirm, why, sql);
            }
        }
        let referencing: Vec<&Object> = all_referencing
            .filter(|fk| to.objects.get(&fk.path()).is_some_and(|kept| kept.prop(Prop::Definition) == fk.prop(Prop::Definition)))
            // A table made again makes its foreign keys anew.
            .filter(|fk| !fk.parent.as_ref().is_some_and(|p| self.recreated.contains(&p.path())))
            .collect();
        for fk in referencing {
            if !self.rebuilt_references.insert(fk.path()) {
                continue;
            }
            let why = format!(
                "{}: references {} {}, which is dropped or changed (dropped first, then added again)",
                fk.path(),
                key.kind,
                key.name
            );
            let sql = format!("ALTER TABLE {} DROP CONSTRAINT {}", fk.parent_name(), fk.name);
            self.step(Phase::DropForeignKeys, Block::Main, Class::NeedsConfirm, why.clone(), sql);
            self.add_constraint(fk, false, &why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_the_foreign_keys_that_reference_them_are_read_from_their_definitions() {
        assert_eq!(key_columns("PRIMARY KEY (id)"), Some(vec!["id"]));
        assert_eq!(key_columns("UNIQUE NULLS NOT DISTINCT (a, \"B c\")"), None, "a quoted name with a space is not guessed");
        assert_eq!(key_columns("UNIQUE (org, id)"), Some(vec!["org", "id"]));
        assert_eq!(key_columns("CREATE UNIQUE INDEX ON public.t USING btree (a, b)"), Some(vec!["a", "b"]));
        assert_eq!(key_columns("CREATE UNIQUE INDEX ON public.t USING btree (a) WHERE (a > 0)"), None);
        assert_eq!(
            key_columns("CREATE UNIQUE INDEX ON public.t USING btree (a, b) INCLUDE (c) WITH (fillfactor='80')"),
            Some(vec!["a", "b"])
        );
        assert_eq!(key_columns("CREATE UNIQUE INDEX ON public.t USING btree (lower(a))"), None);
        assert_eq!(key_columns("CHECK ((a > 0))"), None);
        assert_eq!(
            references("FOREIGN KEY (o, p) REFERENCES public.parent(id, org) ON DELETE CASCADE"),
            Some(("public.parent", vec!["id", "org"]))
        );
        assert!(same_columns(&["id", "org"], &["org", "id"]) && !same_columns(&["id"], &["id", "org"]));
        assert!(is_key("EXCLUDE USING gist (r WITH &&)") && !is_key("FOREIGN KEY (a) REFERENCES t(a)"));
        assert_eq!(drop_phase("FOREIGN KEY (a) REFERENCES public.t(a)"), Phase::DropForeignKeys);
    }
}
