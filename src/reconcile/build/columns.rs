//! Columns: their definitions written back, and each property (type, default, nullability,
//! identity, generation, owned sequence) changed without losing rows or holding long locks.

use super::*;

/// How the catalog shows a column default that reads the column's own sequence (serial).
pub(super) const OWNED_SEQUENCE: &str = "<sequence owned by this column>";

/// Whether a column of `catalog` belongs to a partition or inheriting table whose parent has
/// the same column where `other` has not, and that inherits from it in `other` too: added to
/// (or dropped from) the parent, it comes (or goes) with it, and PostgreSQL refuses it on a
/// partition alone. (A table detached first keeps its columns: they are its own to drop.)
pub(super) fn follows_parent(column: &Object, catalog: &Catalog, other: &Catalog) -> bool {
    let Some(path) = column.parent.as_ref().map(Parent::path) else { return false };
    let (Some(table), Some(there)) = (catalog.objects.get(&path), other.objects.get(&path)) else { return false };
    let parents_there = there.items(Prop::Inherits);
    table.items(Prop::Inherits).iter().filter(|p| parents_there.contains(p)).any(|parent| {
        let path = ObjectPath::column(parent, &column.name);
        catalog.objects.contains_key(&path) && !other.objects.contains_key(&path)
    })
}

/// An identity sequence's options, all of them or those that differ from `was`'s
/// (`START WITH 1`, …, `NO CYCLE`), as `ADD … AS IDENTITY (…)` and `SET` take them.
fn identity_options(now: &SequenceOptions, was: Option<&SequenceOptions>) -> Vec<String> {
    let cycle = if now.cycle { "CYCLE" } else { "NO CYCLE" };
    [
        ("START WITH", now.start, was.map(|w| w.start)),
        ("INCREMENT BY", now.increment, was.map(|w| w.increment)),
        ("MINVALUE", now.min, was.map(|w| w.min)),
        ("MAXVALUE", now.max, was.map(|w| w.max)),
        ("CACHE", now.cache, was.map(|w| w.cache)),
    ]
    .into_iter()
    .filter(|(_, now, before)| before.is_none_or(|b| b != *now))
    .map(|(what, now, _)| format!("{what} {now}"))
    .chain(was.is_none_or(|w| w.cycle != now.cycle).then(|| cycle.to_string()))
    .collect()
}

/// A column's definition for `CREATE TABLE` / `ADD COLUMN`; None when it cannot be written.
pub(super) fn column_definition(column: &Object) -> Result<String, String> {
    let ty = column.prop(Prop::Type);
    let default = column.prop(Prop::Default);
    let serial = match (ty, default) {
        ("integer", "nextval(<sequence owned by this column>)") => Some("serial"),
        ("bigint", "nextval(<sequence owned by this column>)") => Some("bigserial"),
        ("smallint", "nextval(<sequence owned by this column>)") => Some("smallserial"),
        _ => None,
    };
    if serial.is_none() && default.contains("<sequence owned by this column>") {
        return Err(format!("column {}: a default from a sequence it owns, of type {ty}", column.name));
    }
    let mut sql = format!("{} {}", column.name, serial.unwrap_or(ty));
    let collation = column.prop(Prop::Collation);
    if !collation.is_empty() {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    let generated = column.prop(Prop::Generated);
    if !generated.is_empty() {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({generated}) STORED"));
    }
    if serial.is_none() && !default.is_empty() {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if column.prop(Prop::Nullability) == "not null" && serial.is_none() {
        match column.prop(Prop::NotNullName) {
            "" => sql.push_str(" NOT NULL"),
            name => sql.push_str(&format!(" CONSTRAINT {name} NOT NULL")),
        }
    }
    if let Some(identity) = column.identity() {
        sql.push_str(&format!(" {} AS IDENTITY", identity.generated()));
        let options = identity_options(&identity.sequence, Some(&default_sequence(ty, identity.sequence.increment)));
        if !options.is_empty() {
            sql.push_str(&format!(" ({})", options.join(" ")));
        }
    }
    Ok(sql)
}

/// The options PostgreSQL gives a sequence of type `data_type` where none but (maybe) its
/// increment are given: by 1 from 1 up to the type's largest value, or, counting down, from -1
/// down to its smallest.
fn default_sequence(data_type: &str, increment: i64) -> SequenceOptions {
    let (smallest, largest) = match data_type {
        "smallint" => (i64::from(i16::MIN), i64::from(i16::MAX)),
        "integer" => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    let (min, max) = if increment < 0 { (smallest, -1) } else { (1, largest) };
    SequenceOptions { start: if increment < 0 { max } else { min }, increment: 1, min, max, cache: 1, cycle: false }
}

/// The name PostgreSQL 18 gives a column's NOT NULL constraint when none is given, as the
/// catalog leaves it unnamed: `<table>_<column>_not_null`, both names shortened as PostgreSQL
/// shortens them where that is too long (quoted where needed).
fn default_not_null_name(column: &Object) -> String {
    let (table, name) = (bare(column.parent_name()), bare(&column.name));
    crate::sql::quote_ident_if_needed(&crate::sql::make_object_name(&table, &name, "not_null"))
}

/// The name of a column's NOT NULL constraint (PostgreSQL 18 on): the catalog's, or the
/// default one where the catalog leaves it unnamed.
fn not_null_name(column: &Object) -> String {
    match column.prop(Prop::NotNullName) {
        "" => default_not_null_name(column),
        name => name.to_string(),
    }
}

/// The column an owned sequence (a serial column's) belongs to, `schema.table.column`.
pub(super) fn owned_sequence_column(object: &Object) -> Option<&str> {
    (object.kind == Kind::Sequence).then_some(object.definition_key.as_deref()).flatten()
}

/// `statement` run on the sequence `column` (`schema.table.column`) owns, whose name follows
/// the table's and is not part of the catalog: its `{}` is that sequence, found when it runs.
pub(super) fn on_owned_sequence(column: &str, statement: &str) -> String {
    let (table, column) = crate::sql::split_last_part(column).unwrap_or(("", column));
    let bare = column.strip_prefix('"').and_then(|c| c.strip_suffix('"')).map_or(column.to_string(), |c| c.replace("\"\"", "\""));
    let template = statement.replace('%', "%%").replace("{}", "%s");
    format!(
        "DO $squashmate$ BEGIN EXECUTE format({}, pg_catalog.pg_get_serial_sequence({}, {})); END $squashmate$",
        quote_literal(&template),
        quote_literal(table),
        quote_literal(&bare)
    )
}

/// `statement` (an `ALTER` of a sequence's options), with `RESTART` where the sequence
/// (`sequence`: SQL for its `regclass`) was never used: it is where it started, which the new
/// bounds may leave out, so it starts again at its new start, as a new one would. One in use
/// keeps its place (PostgreSQL refuses it out of the new bounds, and nothing changes).
pub(super) fn restarted_if_unused(sequence: &str, statement: &str) -> String {
    format!(
        "DO $squashmate$ BEGIN IF (SELECT s.last_value IS NULL FROM pg_catalog.pg_sequences s WHERE pg_catalog.format('%I.%I', s.schemaname, s.sequencename)::regclass = {sequence}) THEN EXECUTE {}; ELSE EXECUTE {}; END IF; END $squashmate$",
        quote_literal(&format!("{statement} RESTART")),
        quote_literal(statement)
    )
}

/// How a sequence statement says where a sequence starts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Start {
    /// `CREATE SEQUENCE … START 1`.
    Create,
    /// `ALTER SEQUENCE … START WITH 1` (where it starts once `RESTART`ed).
    Alter,
}

/// A sequence's type and options as `CREATE`/`ALTER SEQUENCE` take them (`AS bigint START 1
/// INCREMENT 1 MINVALUE 1 MAXVALUE … CACHE 1 NO CYCLE`); None for an object that is no sequence.
pub(super) fn sequence_options(sequence: &Object, start: Start) -> Option<String> {
    let (data_type, o) = sequence.sequence()?;
    let cycle = if o.cycle { "CYCLE" } else { "NO CYCLE" };
    let start = match start {
        Start::Create => "START",
        Start::Alter => "START WITH",
    };
    Some(format!(
        "AS {data_type} {start} {} INCREMENT {} MINVALUE {} MAXVALUE {} CACHE {} {cycle}",
        o.start, o.increment, o.min, o.max, o.cache
    ))
}

impl Planner<'_> {
    /// A column's type, collation, default, nullability, identity or generation expression.
    pub(super) fn alter_column(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let why = change.why.to_string();
        let (table, column, ty) = (new.parent_name(), &new.name, new.prop(Prop::Type));
        match change.prop {
            Prop::Type if of_a_type(new) => {
                self.step(Phase::Definitions, Block::Main, class, why, format!("ALTER TYPE {table} ALTER ATTRIBUTE {column} TYPE {ty}"));
            }
            Prop::Type => {
                self.recreate_dependants(table, Some(column), &why);
                // A default of the old type is not converted: it goes first and comes back after.
                let (was_default, default) = (old.prop(Prop::Default), new.prop(Prop::Default));
                // (a serial's `nextval()` is converted, and stays)
                if !was_default.is_empty() && !was_default.contains(OWNED_SEQUENCE) {
                    let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT");
                    self.step(Phase::Tables, Block::Main, class, format!("{why} (its default set again after)"), sql);
                }
                // An enum has no cast to or from another type but text.
                let is_enum = |t: &str| {
                    let t = t.trim_end_matches("[]");
                    [self.from, self.to].iter().any(|c| c.objects.values().any(|o| o.kind == Kind::Enum && o.name == t))
                };
                let via = if is_enum(old.prop(Prop::Type)) || is_enum(ty) {
                    format!("::text{}", if ty.ends_with("[]") { "[]" } else { "" })
                } else {
                    String::new()
                };
                let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} TYPE {ty} USING {column}{via}::{ty}");
                self.step(Phase::Tables, Block::Main, class, why.clone(), sql);
                if !default.is_empty() && !default.contains(OWNED_SEQUENCE) {
                    let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default}");
                    self.step(Phase::Tables, Block::Main, class, why, sql);
                }
            }
            // With the type: set again after it.
            Prop::Default if old.prop(Prop::Type) != new.prop(Prop::Type) && !new.prop(Prop::Default).contains(OWNED_SEQUENCE) => {}
            Prop::Collation => {
                let collation = match new.prop(Prop::Collation) {
                    "" => "pg_catalog.\"default\"",
                    c => c,
                };
                self.recreate_dependants(table, Some(column), &why);
                let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} TYPE {ty} COLLATE {collation}");
                self.step(Phase::Tables, Block::Main, class, why, sql);
            }
            Prop::Generated => self.generated(new, &why, class),
            Prop::Default if new.prop(Prop::Default).contains(OWNED_SEQUENCE) => match self.handovers.adopted.get(change.path).cloned() {
                Some(sequence) => self.adopt_sequence(new, &sequence, class, &why),
                None => self.own_sequence(new, class, &why),
            },
            Prop::Default => {
                let sql = match new.prop(Prop::Default) {
                    "" => format!("ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT"),
                    d => format!("ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {d}"),
                };
                self.step(Phase::Tables, Block::Main, class, why.clone(), sql);
                if old.prop(Prop::Default).contains(OWNED_SEQUENCE) && !self.handovers.is_released(&format!("{table}.{column}")) {
                    // The column's own sequence (serial) goes with the default that used it.
                    let sql = on_owned_sequence(&format!("{table}.{column}"), "DROP SEQUENCE {}");
                    self.step(Phase::Tables, Block::Main, class, format!("{why} (its sequence dropped)"), sql);
                }
            }
            // Adding identity sets NOT NULL itself, first (PostgreSQL requires it).
            Prop::Nullability if old.prop(Prop::Identity).is_empty() && !new.prop(Prop::Identity).is_empty() => {}
            Prop::Nullability => self.nullability(new, &why, class),
            Prop::NotNullName => self.rename_not_null(old, new, &why),
            Prop::Identity => {
                if old.prop(Prop::Identity).is_empty() && old.prop(Prop::Nullability) != "not null" {
                    let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL");
                    self.step(Phase::Tables, Block::Main, class, why.clone(), sql);
                }
                let (was, now) = (old.identity(), new.identity());
                match (was, now) {
                    (_, None) => {
                        let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} DROP IDENTITY");
                        self.step(Phase::Tables, Block::Main, class, why, sql);
                    }
                    (None, Some(now)) => {
                        let sql = format!(
                            "ALTER TABLE {table} ALTER COLUMN {column} ADD {} AS IDENTITY ({})",
                            now.generated(),
                            identity_options(&now.sequence, None).join(" ")
                        );
                        self.step(Phase::Tables, Block::Main, class, why.clone(), sql);
                        if now.sequence.increment > 0 {
                            // The rows already there keep their numbers: the sequence starts after them.
                            let sql = format!(
                                "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence({}, {}), greatest(coalesce(max({column}), 0) + 1, {}), false) FROM {table}",
                                quote_literal(table),
                                quote_literal(&bare(column)),
                                now.sequence.start
                            );
                            self.step(Phase::Tables, Block::Main, class, why, sql);
                        }
                    }
                    (Some(was), Some(now)) => {
                        let mut changes: Vec<String> = Vec::new();
                        if was.always != now.always {
                            changes.push(format!("SET {}", now.generated()));
                        }
                        changes.extend(identity_options(&now.sequence, Some(&was.sequence)).into_iter().map(|o| format!("SET {o}")));
                        if changes.is_empty() {
                            return;
                        }
                        let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} {}", changes.join(" "));
                        let sql = if (now.sequence.min..=now.sequence.max).contains(&was.sequence.start) {
                            sql
                        } else {
                            let sequence = format!(
                                "pg_catalog.pg_get_serial_sequence({}, {})::regclass",
                                quote_literal(table),
                                quote_literal(&bare(column))
                            );
                            restarted_if_unused(&sequence, &sql)
                        };
                        self.step(Phase::Tables, Block::Main, class, why, sql);
                    }
                }
            }
            _ => self.not_planned(change),
        }
    }

    /// An existing column given a sequence of its own (`int` → `serial`): the sequence made
    /// as `serial` names it, owned by the column, started after the largest value already
    /// there, and the default set.
    pub(super) fn own_sequence(&mut self, column: &Object, class: Class, why: &str) {
        let table = column.parent_name();
        let sequence = self.to.objects.get(&owned_sequence(&format!("{table}.{}", column.name)));
        let Some(options) = sequence.and_then(|s| sequence_options(s, Start::Create)) else {
            return self.unsupported(format!("{why}: the column's sequence is not in the target"));
        };
        let (schema, bare_table) = crate::sql::split_last_part(table).unwrap_or(("public", table));
        let sequence =
            format!("{schema}.{}", crate::sql::quote_ident_if_needed(&format!("{}_{}_seq", bare(bare_table), bare(&column.name))));
        let column_name = &column.name;
        for sql in [
            format!("CREATE SEQUENCE {sequence} {options} OWNED BY {table}.{column_name}"),
            format!("SELECT pg_catalog.setval({}, coalesce(max({column_name}), 0) + 1, false) FROM {table}", quote_literal(&sequence)),
            format!(
                "ALTER TABLE {table} ALTER COLUMN {column_name} SET DEFAULT {}",
                column.prop(Prop::Default).replace(OWNED_SEQUENCE, &format!("{}::regclass", quote_literal(&sequence)))
            ),
        ] {
            self.step(Phase::Tables, Block::Main, class, why, sql);
        }
    }

    /// A generated column's expression changed: `SET EXPRESSION` where the server has it
    /// (17+), else the column dropped and added again (its values are computed anyway).
    pub(super) fn generated(&mut self, column: &Object, why: &str, class: Class) {
        let table = column.parent_name();
        let expression = column.prop(Prop::Generated);
        if expression.is_empty() || self.to.server_version_num < 170_000 {
            match column_definition(column) {
                Ok(definition) => {
                    self.step(Phase::Tables, Block::Main, class, why, format!("ALTER TABLE {table} DROP COLUMN {}", column.name));
                    self.step(Phase::Tables, Block::Main, class, why, format!("ALTER TABLE {table} ADD COLUMN {definition}"));
                }
                Err(e) => self.unsupported(e),
            }
        } else {
            self.step(
                Phase::Tables,
                Block::Main,
                class,
                why,
                format!("ALTER TABLE {table} ALTER COLUMN {} SET EXPRESSION AS ({expression})", column.name),
            );
        }
    }

    /// A NOT NULL constraint (PostgreSQL 18 on) renamed to the target's name (one `SET NOT NULL`
    /// makes is renamed there), before an attach. PostgreSQL renames a parent's constraint in
    /// every child too (and fails where a child holds it under another name), and renames no
    /// inherited one on its own: a child's rename that its parent's does not carry is refused.
    fn rename_not_null(&mut self, old: &Object, new: &Object, why: &str) {
        if new.prop(Prop::Nullability) != "not null" || old.prop(Prop::Nullability) != "not null" {
            return;
        }
        let (was, now) = (not_null_name(old), not_null_name(new));
        if was == now {
            return;
        }
        let table = new.parent_name();
        let refuse = |planner: &mut Self, reason: &str| planner.unsupported(format!("{} / not null name: {reason}", new.path()));
        let parents = |catalog: &'_ Catalog| -> Vec<String> {
            catalog.objects.get(&ObjectPath::top(Kind::Table, table)).map_or(Vec::new(), |t| t.items(Prop::Inherits).to_vec())
        };
        let not_null_in = |catalog: &'_ Catalog, table: &str| {
            catalog.objects.get(&ObjectPath::column(table, &new.name)).filter(|c| c.prop(Prop::Nullability) == "not null").cloned()
        };
        let to_parents = parents(self.to);
        let inherited_from: Vec<String> = parents(self.from)
            .into_iter()
            .filter(|p| to_parents.contains(p) && not_null_in(self.from, p).is_some() && not_null_in(self.to, p).is_some())
            .collect();
        if !inherited_from.is_empty() {
            let carried = inherited_from.iter().any(|p| {
                not_null_in(self.from, p).is_some_and(|o| not_null_name(&o) == was)
                    && not_null_in(self.to, p).is_some_and(|n| not_null_name(&n) == now)
            });
            if !carried {
                refuse(
                    self,
                    "PostgreSQL cannot rename a NOT NULL constraint a partition or child inherits: detach it, rename, attach it again",
                );
            }
            return;
        }
        let children_hold_another_name = self
            .from
            .objects
            .values()
            .filter(|t| t.kind == Kind::Table && t.items(Prop::Inherits).iter().any(|p| p == table))
            .any(|child| not_null_in(self.from, &child.name).is_some_and(|c| not_null_name(&c) != was));
        if children_hold_another_name {
            return refuse(
                self,
                "PostgreSQL renames it in every child, and a child holds it under another name: rename the child's first (detach it, rename, attach it again)",
            );
        }
        let sql = format!("ALTER TABLE {table} RENAME CONSTRAINT {was} TO {now}");
        self.step(Phase::Tables, Block::Main, Class::Safe, format!("{why} (renamed)"), sql);
    }

    /// `DROP NOT NULL`, or `SET NOT NULL` through a validated check (no long lock).
    pub(super) fn nullability(&mut self, column: &Object, why: &str, class: Class) {
        let (table, name) = (column.parent_name(), &column.name);
        if column.prop(Prop::Nullability) != "not null" {
            self.step(Phase::Tables, Block::Main, class, why, format!("ALTER TABLE {table} ALTER COLUMN {name} DROP NOT NULL"));
            return;
        }
        // PostgreSQL 18 on, SET NOT NULL makes a constraint under the default name.
        let default_name = default_not_null_name(column);
        let rename = match column.prop(Prop::NotNullName) {
            "" => None,
            named if named == default_name => None,
            named => Some(format!("ALTER TABLE {table} RENAME CONSTRAINT {default_name} TO {named}")),
        };
        let set = format!("ALTER TABLE {table} ALTER COLUMN {name} SET NOT NULL");
        if self.options.simple {
            for sql in std::iter::once(set).chain(rename) {
                self.step(Phase::Tables, Block::Main, class, why, sql);
            }
            return;
        }
        let helper = crate::sql::quote_ident(&crate::sql::fit_identifier(&bare(name), "_not_null_squashmate"));
        let steps = [
            (Phase::Dependants, Block::Main, format!("ALTER TABLE {table} ADD CONSTRAINT {helper} CHECK ({name} IS NOT NULL) NOT VALID")),
            (Phase::Validations, Block::Validate, format!("ALTER TABLE {table} VALIDATE CONSTRAINT {helper}")),
            (Phase::Validations, Block::Validate, set),
        ];
        let rename = rename.map(|sql| (Phase::Validations, Block::Validate, sql));
        let drop_helper = (Phase::Validations, Block::Validate, format!("ALTER TABLE {table} DROP CONSTRAINT {helper}"));
        for (phase, block, sql) in steps.into_iter().chain(rename).chain([drop_helper]) {
            self.step(phase, block, class, format!("{why} (through a validated check: no long lock)"), sql);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog::{IdentitySpec, Value};

    fn object(kind: Kind, props: Vec<(Prop, Value)>) -> Object {
        let parent = (kind == Kind::Column).then(|| Parent { kind: Kind::Table, name: "public.t".into() });
        Object { kind, parent, name: "id".into(), definition_key: None, props: props.into_iter().collect() }
    }

    fn options(start: i64, increment: i64, cache: i64, cycle: bool) -> SequenceOptions {
        SequenceOptions { start, increment, min: 1, max: 2147483647, cache, cycle }
    }

    #[test]
    fn sequences_and_columns_are_written_back() {
        let sequence = object(Kind::Sequence, vec![(Prop::Parameters, Value::sequence("bigint", options(5, 2, 1, true)))]);
        assert_eq!(
            sequence_options(&sequence, Start::Create).as_deref(),
            Some("AS bigint START 5 INCREMENT 2 MINVALUE 1 MAXVALUE 2147483647 CACHE 1 CYCLE")
        );
        assert!(sequence_options(&sequence, Start::Alter).unwrap().contains(" START WITH 5 "));
        assert_eq!(sequence_options(&object(Kind::Sequence, vec![]), Start::Create), None);
        let column = |props: &[(Prop, &str)]| object(Kind::Column, props.iter().map(|(k, v)| (*k, Value::text(*v))).collect());
        let serial = column(&[
            (Prop::Type, "integer"),
            (Prop::Default, "nextval(<sequence owned by this column>)"),
            (Prop::Nullability, "not null"),
        ]);
        assert_eq!(column_definition(&serial).unwrap(), "id serial");
        let plain = column(&[(Prop::Type, "text"), (Prop::Default, "'x'::text"), (Prop::Nullability, "not null")]);
        assert_eq!(column_definition(&plain).unwrap(), "id text DEFAULT 'x'::text NOT NULL");
        let identity = object(
            Kind::Column,
            vec![
                (Prop::Type, Value::text("integer")),
                (Prop::Identity, Value::identity(IdentitySpec { always: true, sequence: options(1, 1, 1, false) })),
            ],
        );
        assert_eq!(column_definition(&identity).unwrap(), "id integer GENERATED ALWAYS AS IDENTITY");
        let counting_down = |sequence| {
            let spec = IdentitySpec { always: false, sequence };
            column_definition(&object(Kind::Column, vec![(Prop::Type, Value::text("bigint")), (Prop::Identity, Value::identity(spec))]))
        };
        let down = SequenceOptions { start: -1, increment: -1, min: i64::MIN, max: -1, cache: 1, cycle: false };
        assert_eq!(counting_down(down.clone()).unwrap(), "id bigint GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1)");
        let own = SequenceOptions { start: -50, min: -500, cache: 20, ..down };
        assert_eq!(
            counting_down(own).unwrap(),
            "id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH -50 INCREMENT BY -1 MINVALUE -500 CACHE 20)"
        );
    }

    /// A parent and its child, each with a NOT NULL column `id`, named `parent` and `child`.
    fn inheriting(parent: &str, child: &str) -> Catalog {
        let mut catalog = Catalog { server_version_num: 180000, ..Catalog::default() };
        for (table, inherits, name) in [("public.parent", vec![], parent), ("public.child", vec!["public.parent".to_string()], child)] {
            let props = [(Prop::Inherits, Value::items(inherits, ", "))].into_iter().collect();
            catalog.insert(Object { kind: Kind::Table, parent: None, name: table.into(), definition_key: None, props });
            let props = [(Prop::Type, "integer"), (Prop::Nullability, "not null"), (Prop::NotNullName, name), (Prop::Position, "1")];
            let props = props.into_iter().map(|(p, v)| (p, Value::text(v))).collect();
            let parent = Some(Parent { kind: Kind::Table, name: table.into() });
            catalog.insert(Object { kind: Kind::Column, parent, name: "id".into(), definition_key: None, props });
        }
        catalog
    }

    /// The renames a plan from `from` to `to` makes, and what it refuses.
    fn not_null_renames(from: &Catalog, to: &Catalog) -> (Vec<String>, Vec<String>) {
        let plan = super::super::plan(from, to, &PlanOptions::default());
        let renames = plan.steps.iter().map(|s| s.sql.clone()).filter(|sql| sql.contains("RENAME CONSTRAINT")).collect();
        (renames, plan.unsupported)
    }

    #[test]
    fn a_not_null_constraint_a_child_inherits_is_renamed_through_its_parent_or_refused() {
        // The parent's rename carries the child's (PostgreSQL renames it in every child).
        let (renames, refused) = not_null_renames(&inheriting("id_given", "id_given"), &inheriting("id_required", "id_required"));
        assert_eq!(renames, ["ALTER TABLE public.parent RENAME CONSTRAINT id_given TO id_required"]);
        assert!(refused.is_empty(), "{refused:?}");
        // The child's alone: PostgreSQL renames no inherited constraint.
        let (renames, refused) = not_null_renames(&inheriting("id_given", "id_given"), &inheriting("id_given", "own"));
        assert!(renames.is_empty(), "{renames:?}");
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].starts_with("table public.child / column id / not null name: "), "{refused:?}");
        assert!(refused[0].contains("detach it, rename, attach it again"), "the manual path is named: {refused:?}");
        // The parent's, where the child holds it under another name: PostgreSQL's rename fails there.
        let (renames, refused) = not_null_renames(&inheriting("id_given", "own"), &inheriting("id_required", "own"));
        assert!(renames.is_empty(), "{renames:?}");
        assert!(refused.len() == 1 && refused[0].starts_with("table public.parent / column id / not null name: "), "{refused:?}");
    }

    #[test]
    fn identity_options_are_set_only_where_they_change() {
        let (was, now) = (options(1, 1, 1, false), options(100, 5, 10, true));
        assert_eq!(identity_options(&now, Some(&was)), ["START WITH 100", "INCREMENT BY 5", "CACHE 10", "CYCLE"]);
        assert_eq!(identity_options(&was, None).len(), 6);
        assert!(identity_options(&was, Some(&was)).is_empty());
    }
}
