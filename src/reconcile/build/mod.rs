//! From one catalog to another: every object created, dropped or altered as DDL, ordered so
//! that what a statement needs exists before it and what depends on a change goes first.
//! Lock-friendly forms by default (constraints added `NOT VALID` and validated in a later
//! transaction, `SET NOT NULL` through a validated check, indexes on existing tables built
//! `CONCURRENTLY`). Pure: the proof on a real server is elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use super::create_sql::{
    create_cast, create_collation, create_event_trigger, create_operator, create_publication, create_server, create_wrapper,
    default_privilege_changes, drop_operator, event_trigger_state, grant_changes, grant_target, options_change, options_clause,
};
use super::model::{Block, Phase, Plan, Step};
use super::order::{after_what_they_name, before_what_they_use};
use super::privileges::from_acl;
use super::read_back::{closing, without_printed_array_casts};
use super::views::{creation_order, dependants, names};
use crate::catalog::{
    Catalog, Class, DefaultsFor, Granted, Kind, Object, ObjectClass, ObjectPath, Parent, Prop, SequenceOptions, added, changed, removed,
};
use crate::sql::quote_literal;

mod alter;
mod columns;
mod create;
mod drop;
mod grants;
mod keys;
mod recreated_views;
mod remade_tables;
mod sequence_handover;
mod types;

use columns::*;
use grants::implicit_privileges;
use keys::*;
use recreated_views::*;
use sequence_handover::{Handovers, owned_sequence};
use types::*;

/// How to write the plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Plain forms: no `NOT VALID`/`VALIDATE`, no `CONCURRENTLY`, `SET NOT NULL` directly.
    pub simple: bool,
    /// Columns or tables renamed: a rename replaces a drop and an add that would lose the data.
    pub renames: Vec<super::Rename>,
}

/// The plan taking `from` to `to`.
pub fn plan(from: &Catalog, to: &Catalog, options: &PlanOptions) -> Plan {
    Planner {
        from,
        to,
        options,
        plan: Plan::default(),
        renamed_to: BTreeMap::new(),
        view_drops: BTreeSet::new(),
        view_creates: BTreeMap::new(),
        rebuilt_references: BTreeSet::new(),
        cleared_grants: BTreeSet::new(),
        made: Vec::new(),
        made_for: BTreeMap::new(),
        dropped: Vec::new(),
        recreated: BTreeSet::new(),
        handovers: Handovers::default(),
        source_names: from.objects.values().filter(|o| o.parent.is_none()).map(|o| o.name.split('(').next().unwrap_or(&o.name)).collect(),
    }
    .build()
}

struct Planner<'a> {
    from: &'a Catalog,
    to: &'a Catalog,
    options: &'a PlanOptions,
    plan: Plan,
    /// New path → old path, for renamed objects.
    renamed_to: BTreeMap<ObjectPath, ObjectPath>,
    /// Views of `from` to drop (paths), emitted dependants first.
    view_drops: BTreeSet<ObjectPath>,
    /// Views of `to` to create (paths, with how the step is classed and why), emitted each
    /// after the views it selects from.
    view_creates: BTreeMap<ObjectPath, (Class, String)>,
    /// Foreign keys dropped and added again around a change to the key they reference.
    rebuilt_references: BTreeSet<ObjectPath>,
    /// New objects cleared of the privileges the target's defaults give them (`grants` names).
    cleared_grants: BTreeSet<ObjectPath>,
    /// The statements that make a new name: (index into the steps, the qualified name).
    made: Vec<(usize, String)>,
    /// The statements that make a top-level object: index into the steps → its qualified
    /// name, whose `uses` it needs first.
    made_for: BTreeMap<usize, String>,
    /// The statements that drop an object for good: (index into the steps, its qualified name,
    /// the text of its definition).
    dropped: Vec<(usize, String, String)>,
    /// Tables made again (their partition key changed) and their partitions the target keeps:
    /// paths. Everything of theirs is made anew; nothing of theirs is altered or dropped.
    recreated: BTreeSet<ObjectPath>,
    /// Sequences that change between a column's own and standalone.
    handovers: Handovers,
    /// The names of the source's top-level objects (a routine's without its arguments): a new
    /// object under one of them is not new by name.
    source_names: BTreeSet<&'a str>,
}

/// One changed property of an object, and how the plan judges it.
#[derive(Clone, Copy)]
struct Change<'c> {
    path: &'c ObjectPath,
    old: &'c Object,
    new: &'c Object,
    prop: Prop,
    class: Class,
    why: &'c str,
    /// Whether the object belongs to a table the plan creates (no lock-friendly forms needed).
    on_new_table: bool,
}

/// The last part of a name as written in SQL, unquoted (`"Order ""X"""` → `Order "X"`,
/// `s."T"` → `T`).
fn bare(qualified: &str) -> String {
    crate::sql::parse_qualified(qualified)
        .ok()
        .and_then(|mut parts| parts.pop())
        .unwrap_or_else(|| qualified.rsplit_once('.').map_or(qualified, |(_, n)| n).trim_matches('"').replace("\"\"", "\""))
}

/// The schema of a qualified name (`public.t` → `public`).
fn schema_of(qualified: &str) -> &str {
    crate::sql::split_first_part(qualified).map_or("public", |(s, _)| s)
}

/// A column of a view or materialized view: it follows the definition.
fn of_a_view(object: &Object) -> bool {
    object.kind == Kind::Column && object.parent.as_ref().is_some_and(|p| p.kind.is_view())
}

/// An attribute of a composite type (a column object under `composite type …`).
fn of_a_type(object: &Object) -> bool {
    object.kind == Kind::Column && object.parent.as_ref().is_some_and(|p| p.kind == Kind::CompositeType)
}

fn shown(value: &str) -> &str {
    if value.is_empty() { "(none)" } else { value }
}

/// A catalog's objects but views' columns (they follow their views), routines last: by then
/// every view made again is known (a routine's signature may name one).
fn routines_last(catalog: &Catalog) -> impl Iterator<Item = (&ObjectPath, &Object)> {
    let objects = catalog.objects.iter().filter(|(_, o)| !of_a_view(o));
    objects.clone().filter(|(_, o)| !o.kind.is_routine()).chain(objects.filter(|(_, o)| o.kind.is_routine()))
}

/// What identifies a renameable object: its kind, parent and definition.
type Key = (Kind, Option<Parent>, Option<String>);

/// Constraints, indexes and owned sequences are matched by definition, not name.
fn key(object: &Object) -> Key {
    (object.kind, object.parent.clone(), object.definition_key.clone())
}

/// `catalog`'s renameable objects (auto-named constraints and indexes, owned sequences) that
/// `other` lacks by name, by what identifies them, in path order: those a new name with the
/// same definition may be a rename of. One that keeps its name is never taken for a rename,
/// even where another has its old definition.
fn under_other_names<'c>(catalog: &'c Catalog, other: &Catalog) -> BTreeMap<Key, Vec<(&'c ObjectPath, &'c Object)>> {
    let mut found: BTreeMap<Key, Vec<(&'c ObjectPath, &'c Object)>> = BTreeMap::new();
    for (path, o) in catalog.objects.iter().filter(|(path, o)| o.definition_key.is_some() && !other.objects.contains_key(*path)) {
        found.entry(key(o)).or_default().push((path, o));
    }
    found
}

/// The renameable objects of `to` that are `from`'s under another name: new path → the old
/// object, paired in path order within each definition (a definition held twice on one side
/// and once on the other is one rename and one object made or dropped).
fn renamed_parts<'c>(from: &'c Catalog, to: &'c Catalog) -> BTreeMap<&'c ObjectPath, (&'c ObjectPath, &'c Object)> {
    let olds = under_other_names(from, to);
    let mut pairs = BTreeMap::new();
    for (key, news) in under_other_names(to, from) {
        let Some(olds) = olds.get(&key) else { continue };
        pairs.extend(news.iter().zip(olds).map(|((new_path, _), old)| (*new_path, *old)));
    }
    pairs
}

impl Planner<'_> {
    /// Adds a statement. Its expressions (printed by PostgreSQL) are written to read back as
    /// printed ([`without_printed_array_casts`]); a routine's body is its author's text, kept.
    fn step(&mut self, phase: Phase, block: Block, class: Class, why: impl Into<String>, sql: impl Into<String>) {
        let sql: String = sql.into();
        let has_a_body =
            ["CREATE OR REPLACE FUNCTION", "CREATE OR REPLACE PROCEDURE", "CREATE FUNCTION", "CREATE PROCEDURE", "CREATE AGGREGATE"]
                .iter()
                .any(|start| sql.starts_with(start));
        let sql = if has_a_body { sql } else { without_printed_array_casts(&sql) };
        self.plan.steps.push(Step { sql, class, why: why.into(), block, phase });
    }

    fn unsupported(&mut self, why: impl Into<String>) {
        self.plan.unsupported.push(why.into());
    }

    fn build(mut self) -> Plan {
        self.apply_renames();
        self.cleared_grants = self.clear_default_grants();
        let renamed_parts = renamed_parts(self.from, self.to);
        let renamed_from: BTreeSet<&ObjectPath> = renamed_parts.values().map(|(old_path, _)| *old_path).collect();
        self.handovers = Handovers::find(self.from, self.to);
        let (recreated, gone_with_them) = self.tables_made_again();
        self.recreated = recreated;
        let created_tables: BTreeSet<ObjectPath> = self
            .to
            .objects
            .iter()
            .filter(|(path, o)| {
                matches!(o.kind, Kind::Table | Kind::CompositeType | Kind::ForeignTable)
                    && !self.from.objects.contains_key(*path)
                    && !self.renamed_to.contains_key(*path)
            })
            .map(|(p, _)| p.clone())
            .chain(self.recreated.iter().cloned())
            .collect();
        let dropped_parents: BTreeSet<ObjectPath> = self
            .from
            .objects
            .iter()
            .filter(|(path, o)| o.parent.is_none() && !self.to.objects.contains_key(*path) && !self.renamed_to.values().any(|v| v == *path))
            .map(|(p, _)| p.clone())
            .collect();
        for (path, object) in routines_last(self.to) {
            if self.of_a_recreated_table(path, object) {
                match self.from.objects.get(path) {
                    Some(old) if self.recreated.contains(path) && !old.prop(Prop::PartitionKey).eq(object.prop(Prop::PartitionKey)) => {
                        self.drop_to_make_again(path, old, object)
                    }
                    _ => {}
                }
                if !(object.kind == Kind::Column && object.parent.as_ref().is_some_and(|p| self.recreated.contains(&p.path()))) {
                    self.create(path, object, &created_tables);
                }
                continue;
            }
            let old_path = self.renamed_to.get(path).cloned().unwrap_or_else(|| path.clone());
            match self.from.objects.get(&old_path) {
                Some(old) => self.alter(path, old, object, &created_tables),
                // Renamed, then changed as any part that stays (its comment).
                None if renamed_parts.contains_key(path) => {
                    let (_, old) = renamed_parts[path];
                    self.rename_part(old, object);
                    self.alter(path, old, object, &created_tables);
                }
                None if object.parent.as_ref().is_some_and(|p| created_tables.contains(&p.path())) && object.kind == Kind::Column => {}
                // A child's column comes with the one its parent gains.
                None if object.kind == Kind::Column && follows_parent(object, self.to, self.from) => {}
                None => self.create(path, object, &created_tables),
            }
        }
        for (path, object) in routines_last(self.from) {
            let renamed = self.renamed_to.values().any(|v| v == path);
            let kept = self.to.objects.contains_key(path) || renamed;
            let rekeyed = renamed_from.contains(path);
            let with_parent = object.parent.as_ref().is_some_and(|p| dropped_parents.contains(&p.path()))
                || (object.kind == Kind::Column && follows_parent(object, self.from, self.to));
            let made_again = self.of_a_recreated_table(path, object) || gone_with_them.contains(path);
            if !kept && !rekeyed && !with_parent && !made_again {
                self.drop(path, object);
            }
        }
        self.emit_views();
        let mut indexed: Vec<(usize, Step)> = std::mem::take(&mut self.plan.steps).into_iter().enumerate().collect();
        indexed.sort_by_key(|(_, s)| (s.block, s.phase));
        // From the first definition made to the last view: made after what each names.
        let in_run = |s: &Step| s.block == Block::Main && (Phase::Definitions..=Phase::Views).contains(&s.phase);
        let start = indexed.iter().position(|(_, s)| in_run(s)).unwrap_or(indexed.len());
        let end = indexed.iter().rposition(|(_, s)| in_run(s)).map_or(start, |e| e + 1);
        let rest = indexed.split_off(end);
        let run = indexed.split_off(start);
        let made: Vec<(usize, String)> =
            self.made.iter().filter_map(|(at, name)| run.iter().position(|(i, _)| i == at).map(|p| (p, name.clone()))).collect();
        let run_for: Vec<Option<&String>> = run.iter().map(|(i, _)| self.made_for.get(i)).collect();
        let uses = |step: usize, name: &str| run_for[step].is_some_and(|user| self.to.uses.contains(&(user.clone(), name.to_string())));
        let run = after_what_they_name(run.into_iter().map(|(_, s)| s).collect(), &made, uses);
        let mut steps: Vec<(usize, Step)> = indexed.into_iter().chain(run.into_iter().map(|s| (usize::MAX, s))).chain(rest).collect();
        // What is dropped for good: what uses an object before it.
        let in_drops = |s: &Step| s.block == Block::Main && (Phase::Drops..=Phase::DropDefinitions).contains(&s.phase);
        let start = steps.iter().position(|(_, s)| in_drops(s)).unwrap_or(steps.len());
        let end = steps.iter().rposition(|(_, s)| in_drops(s)).map_or(start, |e| e + 1);
        let rest = steps.split_off(end);
        let run = steps.split_off(start);
        let dropped: Vec<(usize, String, String)> = self
            .dropped
            .iter()
            .filter_map(|(at, name, text)| run.iter().position(|(i, _)| i == at).map(|p| (p, name.clone(), text.clone())))
            .collect();
        let uses = |user: &str, used: &str| self.from.uses.contains(&(user.to_string(), used.to_string()));
        let run = before_what_they_use(run.into_iter().map(|(_, s)| s).collect(), &dropped, uses);
        let mut plan = self.plan;
        plan.steps = steps.into_iter().map(|(_, s)| s).chain(run).chain(rest.into_iter().map(|(_, s)| s)).collect();
        plan
    }

    /// `--rename`s that name an old column or table present in `from` and a new one in `to`.
    fn apply_renames(&mut self) {
        for rename in &self.options.renames {
            let (old_path, new_path) = (rename.old_path(), rename.new_path());
            if self.from.objects.get(&old_path).is_none_or(|o| o.kind != rename.kind()) {
                self.unsupported(format!("--rename {old_path}: no such object in the source"));
                continue;
            }
            if !self.to.objects.contains_key(&new_path) {
                self.unsupported(format!("--rename {old_path}: the target has no {new_path}"));
                continue;
            }
            let why = format!("{old_path} renamed to {} (keeps its data)", rename.to);
            self.step(Phase::Tables, Block::Main, Class::NeedsConfirm, why, rename.sql());
            self.renamed_to.insert(new_path, old_path);
        }
    }

    fn create(&mut self, path: &ObjectPath, object: &Object, created_tables: &BTreeSet<ObjectPath>) {
        let first_step = self.plan.steps.len();
        self.create_object(path, object, created_tables);
        self.note_made(object, first_step);
        // What a part (a column, a key) uses is not told apart from what its table's other parts use.
        if object.parent.is_none() {
            let name = object.name.split('(').next().unwrap_or(&object.name);
            for at in first_step..self.plan.steps.len() {
                self.made_for.insert(at, name.to_string());
            }
        }
    }

    /// Notes the statement at or after `first_step` that makes `object`, a type, table,
    /// sequence, routine or view new by name, for [`after_what_they_name`].
    fn note_made(&mut self, object: &Object, first_step: usize) {
        let makes_a_name = matches!(
            object.kind,
            Kind::Table
                | Kind::ForeignTable
                | Kind::CompositeType
                | Kind::Enum
                | Kind::Domain
                | Kind::RangeType
                | Kind::Sequence
                | Kind::Function
                | Kind::Procedure
                | Kind::View
                | Kind::MaterializedView
        );
        let name = object.name.split('(').next().unwrap_or(&object.name);
        if !makes_a_name || object.definition_key.is_some() || self.source_names.contains(name) {
            return;
        }
        if let Some(at) = (first_step..self.plan.steps.len()).find(|&i| self.plan.steps[i].sql.starts_with("CREATE")) {
            self.made.push((at, name.to_string()));
        }
    }

    /// A type's attributes or a table's columns, in order.
    fn members<'c>(&self, catalog: &'c Catalog, parent: &ObjectPath) -> Vec<&'c Object> {
        let mut members: Vec<&Object> = catalog.objects.values().filter(|o| o.kind == Kind::Column && o.is_under(parent)).collect();
        members.sort_by_key(|c| c.prop(Prop::Position).parse::<u32>().unwrap_or(0));
        members
    }
}
