//! From one catalog to another: every object created, dropped or altered as DDL, ordered so
//! that what a statement needs exists before it and what depends on a change goes first.
//! Lock-friendly forms by default (constraints added `NOT VALID` and validated in a later
//! transaction, `SET NOT NULL` through a validated check, indexes on existing tables built
//! `CONCURRENTLY`). Pure: the proof on a real server is elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use super::create_sql::{
    create_cast, create_collation, create_event_trigger, create_operator, create_publication, create_server, create_wrapper,
    default_privilege_changes, default_privileges, drop_operator, event_trigger_state, grant_changes, grant_target, options_change,
    options_clause, prop,
};
use super::model::{Block, Phase, Plan, Step};
use super::order::{after_what_they_name, before_what_they_use};
use super::privileges::from_acl;
use super::views::{creation_order, dependants, names};
use crate::catalog::{Catalog, Class, Object, added, changed, removed};
use crate::sql::quote_literal;

/// How to write the plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Plain forms: no `NOT VALID`/`VALIDATE`, no `CONCURRENTLY`, `SET NOT NULL` directly.
    pub simple: bool,
    /// Columns or tables renamed: (`table public.t / column old`-style path of the old object,
    /// new name). A rename replaces a drop and an add that would lose the data.
    pub renames: Vec<(String, String)>,
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
        dropped: Vec::new(),
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
    renamed_to: BTreeMap<String, String>,
    /// Views of `from` to drop (paths), emitted dependants first.
    view_drops: BTreeSet<String>,
    /// Views of `to` to create (paths, with how the step is classed and why), emitted each
    /// after the views it selects from.
    view_creates: BTreeMap<String, (Class, String)>,
    /// Foreign keys dropped and added again around a change to the key they reference.
    rebuilt_references: BTreeSet<String>,
    /// New objects cleared of the privileges the target's defaults give them (`grants` names).
    cleared_grants: BTreeSet<String>,
    /// The statements that make a new name: (index into the steps, the qualified name).
    made: Vec<(usize, String)>,
    /// The statements that drop an object for good: (index into the steps, its qualified name,
    /// the text of its definition).
    dropped: Vec<(usize, String, String)>,
    /// The names of the source's top-level objects (a routine's without its arguments): a new
    /// object under one of them is not new by name.
    source_names: BTreeSet<&'a str>,
}

/// One changed property of an object, and how the plan judges it.
#[derive(Clone, Copy)]
struct Change<'c> {
    path: &'c str,
    old: &'c Object,
    new: &'c Object,
    prop: &'c str,
    class: Class,
    why: &'c str,
    /// Whether the object belongs to a table the plan creates (no lock-friendly forms needed).
    on_new_table: bool,
}

/// How the catalog shows a column default that reads the column's own sequence (serial).
const OWNED_SEQUENCE: &str = "<sequence owned by this column>";

/// The relation a child object belongs to (`public.t`), from its parent path.
fn parent_relation(object: &Object) -> &str {
    object.parent.as_deref().map(name_in_path).unwrap_or("")
}

/// The name in an object's path (`table public."Order Items"` → `public."Order Items"`): what
/// follows its kind, which may itself be two words (`materialized view`), as a quoted name may.
fn name_in_path(path: &str) -> &str {
    const TWO_WORD_KINDS: [&str; 5] = ["materialized view ", "foreign table ", "composite type ", "range type ", "event trigger "];
    TWO_WORD_KINDS.iter().find_map(|k| path.strip_prefix(k)).unwrap_or_else(|| path.split_once(' ').map_or(path, |(_, n)| n))
}

/// Whether a column of `catalog` belongs to a partition or inheriting table whose parent has
/// the same column where `other` has not: added to (or dropped from) the parent, it comes (or
/// goes) with it, and PostgreSQL refuses it on a partition alone.
fn follows_parent(column: &Object, catalog: &Catalog, other: &Catalog) -> bool {
    let Some(table) = column.parent.as_deref().and_then(|p| catalog.objects.get(p)) else { return false };
    prop(table, "inherits").split(", ").filter(|p| !p.is_empty()).any(|parent| {
        let path = format!("table {parent} / column {}", column.name);
        catalog.objects.contains_key(&path) && !other.objects.contains_key(&path)
    })
}

/// An identity column's generation and its sequence's options, as the catalog lists them
/// (`always (increment start min max cache cycle)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity<'a> {
    always: bool,
    increment: &'a str,
    start: &'a str,
    min: &'a str,
    max: &'a str,
    cache: &'a str,
    cycle: bool,
}

impl<'a> Identity<'a> {
    /// `None` for a column that is not an identity (or a listing that does not read).
    fn read(listed: &'a str) -> Option<Self> {
        let (generation, options) = listed.split_once(" (")?;
        let values: Vec<&str> = options.strip_suffix(')')?.split(' ').collect();
        let [increment, start, min, max, cache, cycle] = values[..] else { return None };
        Some(Identity { always: generation == "always", increment, start, min, max, cache, cycle: cycle == "true" })
    }

    fn generated(&self) -> &'static str {
        if self.always { "GENERATED ALWAYS" } else { "GENERATED BY DEFAULT" }
    }

    /// The sequence options, all of them or those that differ from `was`'s.
    fn options(&self, was: Option<&Identity<'_>>) -> Vec<String> {
        let cycle = if self.cycle { "CYCLE" } else { "NO CYCLE" };
        [
            ("START WITH", self.start, was.map(|w| w.start)),
            ("INCREMENT BY", self.increment, was.map(|w| w.increment)),
            ("MINVALUE", self.min, was.map(|w| w.min)),
            ("MAXVALUE", self.max, was.map(|w| w.max)),
            ("CACHE", self.cache, was.map(|w| w.cache)),
        ]
        .into_iter()
        .filter(|(_, now, before)| before.is_none_or(|b| b != *now))
        .map(|(what, now, _)| format!("{what} {now}"))
        .chain(was.is_none_or(|w| w.cycle != self.cycle).then(|| cycle.to_string()))
        .collect()
    }
}

/// The schema of a qualified name (`public.t` → `public`).
fn schema_of(qualified: &str) -> &str {
    qualified.split_once('.').map_or("public", |(s, _)| s)
}

/// What `COMMENT ON` calls an object, if anything.
fn comment_target(object: &Object) -> Option<String> {
    let name = &object.name;
    Some(match object.kind {
        "schema" => format!("SCHEMA {name}"),
        "table" => format!("TABLE {name}"),
        "view" => format!("VIEW {name}"),
        "materialized view" => format!("MATERIALIZED VIEW {name}"),
        "column" => format!("COLUMN {}.{name}", parent_relation(object)),
        "constraint" => format!("CONSTRAINT {name} ON {}", parent_relation(object)),
        "index" => format!("INDEX {}.{name}", schema_of(parent_relation(object))),
        "sequence" => format!("SEQUENCE {name}"),
        "function" => format!("FUNCTION {name}"),
        "procedure" => format!("PROCEDURE {name}"),
        "trigger" => format!("TRIGGER {name} ON {}", parent_relation(object)),
        "enum" | "domain" | "composite type" | "range type" => format!("TYPE {name}"),
        "foreign table" => format!("FOREIGN TABLE {name}"),
        _ => return None,
    })
}

/// A column's definition for `CREATE TABLE` / `ADD COLUMN`; None when it cannot be written.
fn column_definition(column: &Object) -> Result<String, String> {
    let ty = prop(column, "type");
    let default = prop(column, "default");
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
    let collation = prop(column, "collation");
    if !collation.is_empty() {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    let generated = prop(column, "generated");
    if !generated.is_empty() {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({generated}) STORED"));
    }
    if serial.is_none() && !default.is_empty() {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if prop(column, "nullability") == "not null" && serial.is_none() {
        sql.push_str(" NOT NULL");
    }
    let identity = prop(column, "identity");
    if identity.starts_with("always") {
        sql.push_str(" GENERATED ALWAYS AS IDENTITY");
    } else if identity.starts_with("by default") {
        sql.push_str(" GENERATED BY DEFAULT AS IDENTITY");
    }
    Ok(sql)
}

/// Whether a constraint definition is a key a foreign key may reference (or an exclusion
/// constraint, built with the keys).
fn is_key(definition: &str) -> bool {
    ["PRIMARY KEY", "UNIQUE", "EXCLUDE"].iter().any(|k| definition.starts_with(k))
}

/// Where a constraint is dropped: a foreign key before the keys it may reference.
fn drop_phase(definition: &str) -> Phase {
    if definition.starts_with("FOREIGN KEY") { Phase::DropForeignKeys } else { Phase::DropDependants }
}

/// The columns of a key: `PRIMARY KEY (a, b)`, `UNIQUE [NULLS NOT DISTINCT] (a)`, or a unique
/// index's `CREATE UNIQUE INDEX ON t USING btree (a)` (not one over expressions or partial).
fn key_columns(definition: &str) -> Option<Vec<&str>> {
    let list = if let Some(rest) = definition.strip_prefix("CREATE UNIQUE INDEX") {
        if rest.contains(" WHERE ") {
            return None;
        }
        rest.split_once(" (")?.1.strip_suffix(')')?
    } else {
        let rest = definition.strip_prefix("PRIMARY KEY").or_else(|| definition.strip_prefix("UNIQUE"))?;
        rest.split_once('(')?.1.split_once(')')?.0
    };
    let columns: Vec<&str> = list.split(", ").map(str::trim).collect();
    columns.iter().all(|c| !c.contains('(') && !c.contains(' ')).then_some(columns)
}

/// The table and columns a foreign key references (`FOREIGN KEY (a) REFERENCES s.t(b) …`).
fn references(definition: &str) -> Option<(&str, Vec<&str>)> {
    let rest = definition.strip_prefix("FOREIGN KEY")?.split_once(" REFERENCES ")?.1;
    let (table, rest) = rest.split_once('(')?;
    Some((table, rest.split_once(')')?.0.split(", ").map(str::trim).collect()))
}

/// Whether two column lists hold the same columns (a key matches in any order).
fn same_columns(a: &[&str], b: &[&str]) -> bool {
    let sorted = |c: &[&str]| -> BTreeSet<String> { c.iter().map(|s| s.to_string()).collect() };
    a.len() == b.len() && sorted(a) == sorted(b)
}

/// The column an owned sequence (a serial column's) belongs to, `schema.table.column`.
fn owned_sequence_column(object: &Object) -> Option<&str> {
    (object.kind == "sequence").then_some(object.definition_key.as_deref()).flatten()
}

/// `statement` run on the sequence `column` (`schema.table.column`) owns, whose name follows
/// the table's and is not part of the catalog: its `{}` is that sequence, found when it runs.
fn on_owned_sequence(column: &str, statement: &str) -> String {
    let (table, column) = column.rsplit_once('.').unwrap_or(("", column));
    let bare = column.strip_prefix('"').and_then(|c| c.strip_suffix('"')).map_or(column.to_string(), |c| c.replace("\"\"", "\""));
    let template = statement.replace('%', "%%").replace("{}", "%s");
    format!(
        "DO $squashmate$ BEGIN EXECUTE format({}, pg_catalog.pg_get_serial_sequence({}, {})); END $squashmate$",
        quote_literal(&template),
        quote_literal(table),
        quote_literal(&bare)
    )
}

/// Whether extension version `a` is older than `b` (`1.10` after `1.9`); versions that do not
/// read as dotted numbers are never older.
fn is_older(a: &str, b: &str) -> bool {
    let numbers = |v: &str| v.split('.').map(|n| n.parse::<u64>().ok()).collect::<Option<Vec<u64>>>();
    matches!((numbers(a), numbers(b)), (Some(a), Some(b)) if a < b)
}

/// The policy command letter as SQL.
fn policy_command(letter: &str) -> &'static str {
    match letter {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    }
}

impl Planner<'_> {
    fn step(&mut self, phase: Phase, block: Block, class: Class, why: impl Into<String>, sql: impl Into<String>) {
        self.plan.steps.push(Step { sql: sql.into(), class, why: why.into(), block, phase });
    }

    fn unsupported(&mut self, why: impl Into<String>) {
        self.plan.unsupported.push(why.into());
    }

    fn build(mut self) -> Plan {
        self.apply_renames();
        self.cleared_grants = self.clear_default_grants();
        let from_keys = keyed(self.from, self.to);
        let to_keys = keyed(self.to, self.from);
        let created_tables: BTreeSet<String> = self
            .to
            .objects
            .iter()
            .filter(|(path, o)| {
                matches!(o.kind, "table" | "composite type" | "foreign table")
                    && !self.from.objects.contains_key(*path)
                    && !self.renamed_to.contains_key(*path)
            })
            .map(|(p, _)| p.clone())
            .collect();
        let dropped_parents: BTreeSet<String> = self
            .from
            .objects
            .iter()
            .filter(|(path, o)| o.parent.is_none() && !self.to.objects.contains_key(*path) && !self.renamed_to.values().any(|v| v == *path))
            .map(|(p, _)| p.clone())
            .collect();
        for (path, object) in self.to.objects.iter().filter(|(_, o)| !of_a_view(o)) {
            let old_path = self.renamed_to.get(path).cloned().unwrap_or_else(|| path.clone());
            match self.from.objects.get(&old_path) {
                Some(old) => self.alter(path, old, object, &created_tables),
                None if object.definition_key.is_some() && from_keys.contains(&key(object)) => {}
                None if object.parent.as_ref().is_some_and(|p| created_tables.contains(p)) && object.kind == "column" => {}
                // A child's column comes with the one its parent gains.
                None if object.kind == "column" && follows_parent(object, self.to, self.from) => {}
                None => self.create(path, object, &created_tables),
            }
        }
        for (path, object) in self.from.objects.iter().filter(|(_, o)| !of_a_view(o)) {
            let renamed = self.renamed_to.values().any(|v| v == path);
            let kept = self.to.objects.contains_key(path) || renamed;
            let rekeyed = object.definition_key.is_some() && to_keys.contains(&key(object));
            let with_parent = object.parent.as_ref().is_some_and(|p| dropped_parents.contains(p))
                || (object.kind == "column" && follows_parent(object, self.from, self.to));
            if !kept && !rekeyed && !with_parent {
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
        let run = after_what_they_name(run.into_iter().map(|(_, s)| s).collect(), &made);
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
        let run = before_what_they_use(run.into_iter().map(|(_, s)| s).collect(), &dropped);
        let mut plan = self.plan;
        plan.steps = steps.into_iter().map(|(_, s)| s).chain(run).chain(rest.into_iter().map(|(_, s)| s)).collect();
        plan
    }

    /// `--rename` pairs that name an old column or table present in `from` and a new one in `to`.
    fn apply_renames(&mut self) {
        for (old_path, new_name) in self.options.renames.clone() {
            let Some(old) = self.from.objects.get(&old_path) else {
                self.unsupported(format!("--rename {old_path}: no such object in the source"));
                continue;
            };
            let new_path = match &old.parent {
                Some(parent) => format!("{parent} / {} {new_name}", old.kind),
                None => format!("{} {}.{}", old.kind, schema_of(&old.name), new_name),
            };
            if !self.to.objects.contains_key(&new_path) {
                self.unsupported(format!("--rename {old_path}={new_name}: the target has no {new_path}"));
                continue;
            }
            let sql = match old.kind {
                "column" => format!("ALTER TABLE {} RENAME COLUMN {} TO {new_name}", parent_relation(old), old.name),
                "table" => format!("ALTER TABLE {} RENAME TO {new_name}", old.name),
                other => {
                    self.unsupported(format!("--rename {old_path}: renaming a {other} is not planned"));
                    continue;
                }
            };
            self.step(Phase::Tables, Block::Main, Class::NeedsConfirm, format!("{old_path} renamed to {new_name} (keeps its data)"), sql);
            self.renamed_to.insert(new_path, old_path);
        }
    }

    fn create(&mut self, path: &str, object: &Object, created_tables: &BTreeSet<String>) {
        let first_step = self.plan.steps.len();
        self.create_object(path, object, created_tables);
        self.note_made(object, first_step);
    }

    /// An index on an existing partitioned table, without a long lock (PostgreSQL cannot build
    /// one concurrently): made on the parent alone, built concurrently on each partition, then
    /// each attached, which makes the parent's valid. False, planning nothing, where a partition
    /// is partitioned itself.
    fn index_each_partition(&mut self, index: &Object, why: &str) -> bool {
        let parent = parent_relation(index);
        let partitions: Vec<&Object> = self
            .to
            .objects
            .values()
            .filter(|o| o.kind == "table" && prop(o, "inherits") == parent && !prop(o, "partition bound").is_empty())
            .collect();
        if partitions.iter().any(|p| !prop(p, "partition key").is_empty()) {
            return false;
        }
        let definition = prop(index, "definition");
        let phase = if definition.starts_with("CREATE UNIQUE INDEX") { Phase::Keys } else { Phase::Dependants };
        let on_parent = definition.replacen("INDEX ON ", &format!("INDEX {} ON ", index.name), 1);
        self.step(
            phase,
            Block::Main,
            Class::Safe,
            format!("{why} (on the partitioned table alone: built on each partition next)"),
            on_parent,
        );
        let columns = definition.rsplit_once(" (").map_or("", |(_, c)| c.trim_end_matches(')'));
        let suffix: String = columns.split(", ").map(|c| c.trim_matches('"')).collect::<Vec<_>>().join("_");
        for partition in partitions {
            let bare = partition.name.rsplit_once('.').map_or(partition.name.as_str(), |(_, n)| n).trim_matches('"');
            let child = crate::sql::quote_ident_if_needed(&format!("{bare}_{suffix}_idx"));
            let on_partition = definition.replacen("INDEX ON ONLY ", &format!("INDEX CONCURRENTLY {child} ON "), 1).replacen(
                &format!(" {parent} "),
                &format!(" {} ", partition.name),
                1,
            );
            self.step(
                phase,
                Block::Concurrently,
                Class::Safe,
                format!("{why} (built concurrently on partition {})", partition.name),
                on_partition,
            );
            let attach =
                format!("ALTER INDEX {}.{} ATTACH PARTITION {}.{child}", schema_of(parent), index.name, schema_of(&partition.name));
            self.step(phase, Block::AfterIndexes, Class::Safe, format!("{why} (the partition's index attached)"), attach);
        }
        true
    }

    /// Notes the statement at or after `first_step` that makes `object`, a type, table,
    /// sequence, routine or view new by name, for [`after_what_they_name`].
    fn note_made(&mut self, object: &Object, first_step: usize) {
        let makes_a_name = matches!(
            object.kind,
            "table"
                | "foreign table"
                | "composite type"
                | "enum"
                | "domain"
                | "range type"
                | "sequence"
                | "function"
                | "procedure"
                | "view"
                | "materialized view"
        );
        let name = object.name.split('(').next().unwrap_or(&object.name);
        if !makes_a_name || object.definition_key.is_some() || self.source_names.contains(name) {
            return;
        }
        if let Some(at) = (first_step..self.plan.steps.len()).find(|&i| self.plan.steps[i].sql.starts_with("CREATE")) {
            self.made.push((at, name.to_string()));
        }
    }

    fn create_object(&mut self, path: &str, object: &Object, created_tables: &BTreeSet<String>) {
        let name = &object.name;
        let on_new_table = object.parent.as_ref().is_some_and(|p| created_tables.contains(p));
        let why = format!("{path}: new");
        let class = added(object.kind, &object.props);
        match object.kind {
            "schema" => self.step(Phase::Namespaces, Block::Main, class, why, format!("CREATE SCHEMA {name}")),
            "extension" => self.step(
                Phase::Namespaces,
                Block::Main,
                class,
                why,
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {} VERSION {}",
                    prop(object, "schema"),
                    quote_literal(prop(object, "version"))
                ),
            ),
            "table" | "foreign table" => self.create_table(path, object),
            "column" if of_a_type(object) => {
                let sql = format!("ALTER TYPE {} ADD ATTRIBUTE {} {}", parent_relation(object), name, prop(object, "type"));
                self.step(Phase::Definitions, Block::Main, class, why, sql);
            }
            "column" => match column_definition(object) {
                Ok(definition) => {
                    let sql = format!("ALTER TABLE {} ADD COLUMN {definition}", parent_relation(object));
                    self.step(Phase::Tables, Block::Main, class, why, sql);
                }
                Err(e) => self.unsupported(e),
            },
            "composite type" => {
                let attributes: Vec<String> =
                    self.members(self.to, path).iter().map(|a| format!("{} {}", a.name, prop(a, "type"))).collect();
                self.step(Phase::Definitions, Block::Main, class, why, format!("CREATE TYPE {name} AS ({})", attributes.join(", ")));
            }
            "publication" => self.step(Phase::Dependants, Block::Main, class, why, create_publication(object)),
            "statistics" => self.step(Phase::Dependants, Block::Main, class, why, prop(object, "definition").to_string()),
            "rule" => self.step(Phase::Dependants, Block::Main, class, why, prop(object, "definition").trim_end_matches(';').to_string()),
            "collation" => match create_collation(object) {
                Some(sql) => self.step(Phase::Definitions, Block::Main, class, why, sql),
                None => self.unsupported(format!("{path}: a collation of provider {}", prop(object, "provider"))),
            },
            "constraint" => self.add_constraint(object, on_new_table, &why),
            "index" => self.create_index(object, on_new_table, &why),
            "view" | "materialized view" => {
                self.view_creates.entry(path.to_string()).or_insert((class, why));
            }
            "sequence" if object.definition_key.is_some() => {} // owned: made by its serial column
            "sequence" => match sequence_options(prop(object, "parameters")) {
                Some(options) => self.step(Phase::Definitions, Block::Main, class, why, format!("CREATE SEQUENCE {name} {options}")),
                None => self.unsupported(format!("{path}: unreadable sequence parameters")),
            },
            "function" | "procedure" => {
                // A routine whose signature names a table (row type) the plan creates comes after it.
                let signature = format!("{} {}", object.name, prop(object, "result"));
                let uses_new_table = created_tables.iter().any(|t| names(&signature, t.split_once(' ').map_or(t.as_str(), |(_, n)| n)));
                let phase = if uses_new_table { Phase::Views } else { Phase::Definitions };
                self.step(phase, Block::Main, class, why, prop(object, "definition").trim_end().trim_end_matches(';').to_string());
            }
            "trigger" => self.step(Phase::Dependants, Block::Main, class, why, prop(object, "definition").to_string()),
            "enum" => {
                self.step(Phase::Definitions, Block::Main, class, why, format!("CREATE TYPE {name} AS ENUM ({})", prop(object, "labels")))
            }
            "domain" => self.step(Phase::Definitions, Block::Main, class, why, create_domain(object)),
            "policy" => self.create_policy(object, &why),
            "cast" => match create_cast(object) {
                Some(sql) => self.step(Phase::Tables, Block::Main, class, why, sql),
                None => self.unsupported(format!("{path}: a cast of method {}", prop(object, "method"))),
            },
            "operator" => match create_operator(object) {
                Some(sql) => self.step(Phase::Tables, Block::Main, class, why, sql),
                None => self.unsupported(format!("{path}: an operator whose signature cannot be read")),
            },
            "foreign data wrapper" => self.step(Phase::Namespaces, Block::Main, class, why, create_wrapper(object)),
            "grants" => {
                let made_with = if self.cleared_grants.contains(name) { "" } else { default_privileges(name) };
                self.grants(path, made_with, prop(object, "privileges"), class, &why);
            }
            "owner" => self.owner(name, prop(object, "owner"), class, &why),
            "range type" => {
                let sql = format!("CREATE TYPE {name} AS RANGE (subtype = {})", prop(object, "subtype"));
                self.step(Phase::Definitions, Block::Main, class, why, sql);
            }
            "event trigger" => {
                for sql in create_event_trigger(object) {
                    self.step(Phase::Dependants, Block::Main, class, why.clone(), sql);
                }
            }
            "server" => self.step(Phase::Definitions, Block::Main, class, why, create_server(object)),
            other => self.unsupported(format!("{path}: creating a {other} is not planned yet")),
        }
        self.set_comment(object, None, Phase::Dependants);
    }

    fn create_table(&mut self, path: &str, table: &Object) {
        let options = match prop(table, "options") {
            "" => String::new(),
            options => format!(" WITH ({options})"),
        };
        let partition = match prop(table, "partition key") {
            "" => String::new(),
            key => format!(" PARTITION BY {key}"),
        };
        let (bound, parents) = (prop(table, "partition bound"), prop(table, "inherits"));
        if !bound.is_empty() {
            // A partition takes its columns from its parent.
            let sql = format!("CREATE TABLE {} PARTITION OF {parents} {bound}{partition}{options}", table.name);
            self.step(Phase::ChildTables, Block::Main, Class::Safe, format!("{path}: new partition"), sql);
            self.table_security(table, None);
            return;
        }
        // Columns a parent has come from it (INHERITS): declared here they would be local too.
        let inherited = |column: &Object| {
            parents
                .split(", ")
                .filter(|p| !p.is_empty())
                .any(|parent| self.to.objects.contains_key(&format!("table {parent} / column {}", column.name)))
        };
        let mut columns: Vec<&Object> =
            self.to.objects.values().filter(|o| o.kind == "column" && o.parent.as_deref() == Some(path) && !inherited(o)).collect();
        columns.sort_by_key(|c| prop(c, "position").parse::<u32>().unwrap_or(0));
        let mut definitions = Vec::new();
        for column in columns {
            match column_definition(column) {
                Ok(definition) => definitions.push(definition),
                Err(e) => return self.unsupported(format!("{path}: {e}")),
            }
            self.set_comment(column, None, Phase::Dependants);
        }
        if table.kind == "foreign table" {
            let sql = format!(
                "CREATE FOREIGN TABLE {} (\n    {}\n) SERVER {}{}",
                table.name,
                definitions.join(",\n    "),
                prop(table, "server"),
                options_clause(prop(table, "foreign options"))
            );
            return self.step(Phase::Tables, Block::Main, Class::Safe, format!("{path}: new"), sql);
        }
        let unlogged = if prop(table, "persistence") == "unlogged" { "UNLOGGED " } else { "" };
        let (inherits, phase) = match parents {
            "" => (String::new(), Phase::Tables),
            parents => (format!(" INHERITS ({parents})"), Phase::ChildTables),
        };
        let sql = format!("CREATE {unlogged}TABLE {} (\n    {}\n){inherits}{partition}{options}", table.name, definitions.join(",\n    "));
        self.step(phase, Block::Main, Class::Safe, format!("{path}: new"), sql);
        self.table_security(table, None);
        if !prop(table, "replica identity").is_empty() {
            self.replica_identity(table, Class::Safe, &format!("{path}: new"));
        }
    }

    /// `REPLICA IDENTITY` as the table's property says (default, nothing, full, using an index).
    fn replica_identity(&mut self, table: &Object, class: Class, why: &str) {
        let how = match prop(table, "replica identity") {
            "" => "DEFAULT".to_string(),
            "n" => "NOTHING".to_string(),
            "f" => "FULL".to_string(),
            using if using.starts_with("using index ") => format!("USING INDEX {}", &using["using index ".len()..]),
            _ => return self.unsupported(format!("{why}: unreadable replica identity")),
        };
        self.step(Phase::Dependants, Block::Main, class, why, format!("ALTER TABLE {} REPLICA IDENTITY {how}", table.name));
    }

    fn table_security(&mut self, table: &Object, old: Option<&Object>) {
        let was = |p: &str| old.map(|o| prop(o, p).to_string()).unwrap_or_default();
        let name = &table.name;
        for (p, on, off) in [
            ("row level security", "ENABLE ROW LEVEL SECURITY", "DISABLE ROW LEVEL SECURITY"),
            ("force row level security", "FORCE ROW LEVEL SECURITY", "NO FORCE ROW LEVEL SECURITY"),
        ] {
            let now = prop(table, p);
            if now != was(p) {
                let (sql, class) = if now.is_empty() { (off, Class::NeedsConfirm) } else { (on, Class::NeedsConfirm) };
                self.step(Phase::Dependants, Block::Main, class, format!("table {name} / {p}"), format!("ALTER TABLE {name} {sql}"));
            }
        }
    }

    fn add_constraint(&mut self, constraint: &Object, on_new_table: bool, why: &str) {
        let table = parent_relation(constraint);
        let definition = prop(constraint, "definition");
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

    /// Whether a routine that goes has a new one under its name with as many parameters (its
    /// parameters renamed): PostgreSQL knows them as one, so the old one must go first.
    fn remade_under_its_name(&self, routine: &Object) -> bool {
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

    /// Whether a foreign key references the columns of a unique index the plan builds
    /// concurrently (on a table that exists already).
    fn references_a_concurrent_index(&self, definition: &str) -> bool {
        let Some((table, columns)) = references(definition) else { return false };
        let parent = format!("table {table}");
        !self.options.simple
            && self.from.objects.contains_key(&parent)
            && self.to.objects.iter().any(|(path, o)| {
                o.kind == "index"
                    && o.parent.as_deref() == Some(parent.as_str())
                    && !self.from.objects.contains_key(path)
                    && key_columns(prop(o, "definition"))
                        .is_some_and(|c| prop(o, "definition").starts_with("CREATE UNIQUE INDEX") && same_columns(&c, &columns))
            })
    }

    /// The foreign keys that stay but reference `key` (a primary key, unique constraint or
    /// unique index that goes or changes) are dropped before it and added again after the keys
    /// (`NOT VALID`, then validated), as PostgreSQL refuses to drop a key a foreign key uses.
    fn rebuild_references_to(&mut self, key: &Object) {
        let Some(columns) = key_columns(prop(key, "definition")) else { return };
        let (table, from, to) = (parent_relation(key), self.from, self.to);
        let referencing: Vec<&Object> = from
            .objects
            .values()
            .filter(|o| {
                o.kind == "constraint" && references(prop(o, "definition")).is_some_and(|(t, c)| t == table && same_columns(&c, &columns))
            })
            .filter(|fk| to.objects.get(&fk.path()).is_some_and(|kept| prop(kept, "definition") == prop(fk, "definition")))
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
            let sql = format!("ALTER TABLE {} DROP CONSTRAINT {}", parent_relation(fk), fk.name);
            self.step(Phase::DropForeignKeys, Block::Main, Class::NeedsConfirm, why.clone(), sql);
            self.add_constraint(fk, false, &why);
        }
    }

    fn create_index(&mut self, index: &Object, on_new_table: bool, why: &str) {
        let definition = prop(index, "definition");
        let concurrently = !self.options.simple && !on_new_table;
        if concurrently && definition.contains(" ON ONLY ") && self.index_each_partition(index, why) {
            return;
        }
        let made = if concurrently { format!("INDEX CONCURRENTLY {} ON ", index.name) } else { format!("INDEX {} ON ", index.name) };
        let sql = definition.replacen("INDEX ON ", &made, 1);
        let block = if concurrently { Block::Concurrently } else { Block::Main };
        let phase = if definition.starts_with("CREATE UNIQUE INDEX") { Phase::Keys } else { Phase::Dependants };
        self.step(phase, block, Class::Safe, why, sql);
    }

    fn create_policy(&mut self, policy: &Object, why: &str) {
        let mut sql = format!(
            "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
            policy.name,
            parent_relation(policy),
            prop(policy, "mode").to_uppercase(),
            policy_command(prop(policy, "command")),
            prop(policy, "roles")
        );
        for (p, clause) in [("using", "USING"), ("with check", "WITH CHECK")] {
            if !prop(policy, p).is_empty() {
                sql.push_str(&format!(" {clause} ({})", prop(policy, p)));
            }
        }
        self.step(Phase::Dependants, Block::Main, Class::NeedsConfirm, why, sql);
    }

    /// `COMMENT ON` when the comment differs from `old`'s (None: a new object).
    fn set_comment(&mut self, object: &Object, old: Option<&Object>, phase: Phase) {
        let (now, was) = (prop(object, "comment"), old.map(|o| prop(o, "comment")).unwrap_or(""));
        if now == was {
            return;
        }
        let value = if now.is_empty() { "NULL".to_string() } else { quote_literal(now) };
        let sql = match owned_sequence_column(object) {
            Some(column) => on_owned_sequence(column, &format!("COMMENT ON SEQUENCE {{}} IS {value}")),
            None => match comment_target(object) {
                Some(target) => format!("COMMENT ON {target} IS {value}"),
                None => return,
            },
        };
        self.step(phase, Block::Main, Class::Safe, format!("{} / comment", object.path()), sql);
    }

    fn drop(&mut self, path: &str, object: &Object) {
        let name = &object.name;
        let class = removed(object.kind);
        let why = format!("{path}: gone");
        let table = parent_relation(object);
        let (phase, sql) = match object.kind {
            "schema" => (Phase::DropNamespaces, format!("DROP SCHEMA {name}")),
            "extension" => (Phase::DropNamespaces, format!("DROP EXTENSION {name}")),
            "table" => (Phase::Drops, format!("DROP TABLE {name}")),
            "foreign table" => (Phase::Drops, format!("DROP FOREIGN TABLE {name}")),
            "view" | "materialized view" => {
                self.view_drops.insert(path.to_string());
                return;
            }
            "column" if of_a_type(object) => (Phase::Drops, format!("ALTER TYPE {table} DROP ATTRIBUTE {name}")),
            "column" => (Phase::Drops, format!("ALTER TABLE {table} DROP COLUMN {name}")),
            "composite type" => (Phase::DropDefinitions, format!("DROP TYPE {name}")),
            "publication" => (Phase::DropDependants, format!("DROP PUBLICATION {name}")),
            "statistics" => (Phase::DropDependants, format!("DROP STATISTICS {name}")),
            "rule" => (Phase::DropDependants, format!("DROP RULE {name} ON {table}")),
            "collation" => (Phase::DropDefinitions, format!("DROP COLLATION {name}")),
            "constraint" => {
                self.rebuild_references_to(object);
                (drop_phase(prop(object, "definition")), format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            }
            "index" => {
                self.rebuild_references_to(object);
                (Phase::DropDependants, format!("DROP INDEX {}.{name}", schema_of(table)))
            }
            "sequence" if object.definition_key.is_some() => return, // goes with its column
            "sequence" => (Phase::DropDefinitions, format!("DROP SEQUENCE {name}")),
            "function" | "procedure" => {
                // Before a dropped table or view its signature names (the row type goes with it).
                let signature = format!("{name} {}", prop(object, "result"));
                let names_dropped = |kinds: &[&str]| {
                    self.from
                        .objects
                        .values()
                        .any(|o| kinds.contains(&o.kind) && !self.to.objects.contains_key(&o.path()) && names(&signature, &o.name))
                };
                let phase = if self.remade_under_its_name(object) {
                    Phase::ReplacedRoutines
                } else if names_dropped(&["view", "materialized view"]) {
                    Phase::DropViews
                } else if names_dropped(&["table"]) {
                    Phase::DropDependants
                } else {
                    Phase::DropDefinitions
                };
                (phase, format!("DROP {} {name}", object.kind.to_uppercase()))
            }
            "trigger" => (Phase::DropDependants, format!("DROP TRIGGER {name} ON {table}")),
            "enum" | "domain" => (Phase::DropDefinitions, format!("DROP TYPE {name}")),
            "policy" => (Phase::DropDependants, format!("DROP POLICY {name} ON {table}")),
            "cast" => (Phase::DropDependants, format!("DROP CAST {name}")),
            "operator" => match drop_operator(object) {
                Some(sql) => (Phase::DropDependants, sql),
                None => return self.unsupported(format!("{path}: an operator whose signature cannot be read")),
            },
            "server" => (Phase::DropDefinitions, format!("DROP SERVER {name}")),
            "range type" => (Phase::DropDefinitions, format!("DROP TYPE {name}")),
            // Revoked only where the object stays: privileges go with a dropped object.
            "grants" if !self.granted_object_stays(name) => return,
            "grants" => return self.grants(path, prop(object, "privileges"), default_privileges(name), class, &why),
            // Owned by whoever runs the plan, as a migration's new objects are.
            "owner" if !self.granted_object_stays(name) => return,
            "owner" => return self.owner(name, "CURRENT_USER", class, &why),
            "event trigger" => (Phase::DropDependants, format!("DROP EVENT TRIGGER {name}")),
            "foreign data wrapper" => (Phase::DropNamespaces, format!("DROP FOREIGN DATA WRAPPER {name}")),
            other => return self.unsupported(format!("{path}: dropping a {other} is not planned yet")),
        };
        self.step(phase, Block::Main, class, why, sql);
        if matches!(phase, Phase::Drops | Phase::DropDefinitions) && object.parent.is_none() {
            let name = object.name.split('(').next().unwrap_or(name).to_string();
            self.dropped.push((self.plan.steps.len() - 1, name, self.text_of(path, object)));
        }
    }

    /// Everything `object` (at `path` in the source) is defined with, its columns' too: what
    /// it may name.
    fn text_of(&self, path: &str, object: &Object) -> String {
        let columns = self.from.objects.values().filter(|o| o.parent.as_deref() == Some(path));
        std::iter::once(object).chain(columns).flat_map(|o| o.props.values().map(String::as_str)).collect::<Vec<_>>().join(" ")
    }

    fn alter(&mut self, path: &str, old: &Object, new: &Object, created_tables: &BTreeSet<String>) {
        let props: BTreeSet<&str> = old.props.keys().chain(new.props.keys()).copied().collect();
        let changed_props: Vec<&str> = props.into_iter().filter(|p| prop(old, p) != prop(new, p)).collect();
        if changed_props.is_empty() {
            return;
        }
        match new.kind {
            // Kinds without an ALTER for their definition: dropped and created again.
            // A foreign table holds no rows here: on another server it is made again.
            "foreign table" if changed_props.contains(&"server") => {
                let why = format!("{path}: server {} → {}", prop(old, "server"), prop(new, "server"));
                self.recreate_dependants(&old.name, None, &why);
                self.step(Phase::DropDependants, Block::Main, Class::NeedsConfirm, why, format!("DROP FOREIGN TABLE {}", old.name));
                self.create_table(path, new);
                self.set_comment(new, None, Phase::Dependants);
                return;
            }
            "publication" | "statistics" | "rule" | "collation" | "cast" | "operator" | "event trigger"
                if !(new.kind == "event trigger" && changed_props == ["enabled"]) =>
            {
                self.drop(path, old);
                self.create(path, new, created_tables);
                return;
            }
            "policy" => {
                let p = changed_props[0];
                let why = format!("{path} / {p}: {} → {}", shown(prop(old, p)), shown(prop(new, p)));
                let sql = format!("DROP POLICY {} ON {}", old.name, parent_relation(old));
                self.step(Phase::DropDependants, Block::Main, changed(new.kind, p, prop(old, p), prop(new, p)), why.clone(), sql);
                self.create_policy(new, &why);
                return;
            }
            _ => {}
        }
        let on_new_table = new.parent.as_ref().is_some_and(|p| created_tables.contains(p));
        for p in changed_props {
            let why = format!("{path} / {p}: {} → {}", shown(prop(old, p)), shown(prop(new, p)));
            let change =
                Change { path, old, new, prop: p, class: changed(new.kind, p, prop(old, p), prop(new, p)), why: &why, on_new_table };
            match (new.kind, p) {
                (_, "comment") => self.set_comment(new, Some(old), Phase::Dependants),
                (_, "position") => {}
                ("column", _) => self.alter_column(&change),
                ("table", _) => self.alter_table(&change),
                ("foreign table", "foreign options") => match options_change(prop(old, "foreign options"), prop(new, "foreign options")) {
                    Some(options) => self.step(
                        Phase::Tables,
                        Block::Main,
                        change.class,
                        why.clone(),
                        format!("ALTER FOREIGN TABLE {} {options}", new.name),
                    ),
                    None => {}
                },
                ("constraint" | "index" | "trigger", _) => self.alter_table_part(&change),
                _ => self.alter_definition(&change),
            }
        }
    }

    /// A column's type, collation, default, nullability, identity or generation expression.
    fn alter_column(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let why = change.why.to_string();
        let (table, column, ty) = (parent_relation(new), &new.name, prop(new, "type"));
        match change.prop {
            "type" if of_a_type(new) => {
                self.step(Phase::Definitions, Block::Main, class, why, format!("ALTER TYPE {table} ALTER ATTRIBUTE {column} TYPE {ty}"));
            }
            "type" => {
                self.recreate_dependants(table, Some(column), &why);
                // A default of the old type is not converted: it goes first and comes back after.
                let (was_default, default) = (prop(old, "default"), prop(new, "default"));
                // (a serial's `nextval()` is converted, and stays)
                if !was_default.is_empty() && !was_default.contains(OWNED_SEQUENCE) {
                    let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT");
                    self.step(Phase::Tables, Block::Main, class, format!("{why} (its default set again after)"), sql);
                }
                // An enum has no cast to or from another type but text.
                let is_enum = |t: &str| {
                    let t = t.trim_end_matches("[]");
                    [self.from, self.to].iter().any(|c| c.objects.values().any(|o| o.kind == "enum" && o.name == t))
                };
                let via = if is_enum(prop(old, "type")) || is_enum(ty) {
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
            "default" if prop(old, "type") != prop(new, "type") && !prop(new, "default").contains(OWNED_SEQUENCE) => {}
            "collation" => {
                let collation = match prop(new, "collation") {
                    "" => "pg_catalog.\"default\"",
                    c => c,
                };
                self.recreate_dependants(table, Some(column), &why);
                let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} TYPE {ty} COLLATE {collation}");
                self.step(Phase::Tables, Block::Main, class, why, sql);
            }
            "generated" => self.generated(new, &why, class),
            "default" if prop(new, "default").contains(OWNED_SEQUENCE) => self.own_sequence(new, class, &why),
            "default" => {
                let sql = match prop(new, "default") {
                    "" => format!("ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT"),
                    d => format!("ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {d}"),
                };
                self.step(Phase::Tables, Block::Main, class, why.clone(), sql);
                if prop(old, "default").contains(OWNED_SEQUENCE) {
                    // The column's own sequence (serial) goes with the default that used it.
                    let sql = on_owned_sequence(&format!("{table}.{column}"), "DROP SEQUENCE {}");
                    self.step(Phase::Tables, Block::Main, class, format!("{why} (its sequence dropped)"), sql);
                }
            }
            // Adding identity sets NOT NULL itself, first (PostgreSQL requires it).
            "nullability" if prop(old, "identity").is_empty() && !prop(new, "identity").is_empty() => {}
            "nullability" => self.nullability(new, &why, class),
            "identity" => {
                if prop(old, "identity").is_empty() && prop(old, "nullability") != "not null" {
                    let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL");
                    self.step(Phase::Tables, Block::Main, class, why.clone(), sql);
                }
                let (was, now) = (Identity::read(prop(old, "identity")), Identity::read(prop(new, "identity")));
                match (was, now) {
                    (_, None) => {
                        let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} DROP IDENTITY");
                        self.step(Phase::Tables, Block::Main, class, why, sql);
                    }
                    (None, Some(now)) => {
                        let sql = format!(
                            "ALTER TABLE {table} ALTER COLUMN {column} ADD {} AS IDENTITY ({})",
                            now.generated(),
                            now.options(None).join(" ")
                        );
                        self.step(Phase::Tables, Block::Main, class, why.clone(), sql);
                        if !now.increment.starts_with('-') {
                            // The rows already there keep their numbers: the sequence starts after them.
                            let sql = format!(
                                "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence({}, {}), greatest(coalesce(max({column}), 0) + 1, {}), false) FROM {table}",
                                quote_literal(table),
                                quote_literal(column.trim_matches('"')),
                                now.start
                            );
                            self.step(Phase::Tables, Block::Main, class, why, sql);
                        }
                    }
                    (Some(was), Some(now)) => {
                        let mut changes: Vec<String> = Vec::new();
                        if was.always != now.always {
                            changes.push(format!("SET {}", now.generated()));
                        }
                        changes.extend(now.options(Some(&was)).into_iter().map(|o| format!("SET {o}")));
                        if !changes.is_empty() {
                            let sql = format!("ALTER TABLE {table} ALTER COLUMN {column} {}", changes.join(" "));
                            self.step(Phase::Tables, Block::Main, class, why, sql);
                        }
                    }
                }
            }
            _ => self.unsupported(format!("{why}: changing this is not planned yet")),
        }
    }

    /// A table's row-level security, storage options, persistence or replica identity.
    fn alter_table(&mut self, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let why = change.why.to_string();
        match change.prop {
            "row level security" | "force row level security" => self.table_security(new, Some(old)),
            "options" => self.reloptions("TABLE", change),
            "persistence" => {
                let how = if prop(new, "persistence") == "unlogged" { "SET UNLOGGED" } else { "SET LOGGED" };
                let sql = format!("ALTER TABLE {} {how}", new.name);
                self.step(Phase::Tables, Block::Main, Class::NeedsConfirm, format!("{why} (rewrites the table)"), sql);
            }
            "partition bound" => self.attach_or_detach(change),
            // A partition's parent follows its bound (above); plain inheritance changes here.
            "inherits" if !prop(old, "partition bound").is_empty() || !prop(new, "partition bound").is_empty() => {}
            "inherits" => {
                let list =
                    |o: &Object| -> Vec<String> { prop(o, "inherits").split(", ").filter(|p| !p.is_empty()).map(String::from).collect() };
                let (was, now) = (list(old), list(new));
                for parent in was.iter().filter(|p| !now.contains(p)) {
                    self.step(Phase::Tables, Block::Main, class, why.clone(), format!("ALTER TABLE {} NO INHERIT {parent}", new.name));
                }
                for parent in now.iter().filter(|p| !was.contains(p)) {
                    self.step(Phase::ChildTables, Block::Main, class, why.clone(), format!("ALTER TABLE {} INHERIT {parent}", new.name));
                }
            }
            "replica identity" => self.replica_identity(new, class, &why),
            _ => self.unsupported(format!("{why}: changing this is not planned yet")),
        }
    }

    /// A constraint's, an index's or a trigger's definition (dropped, then made again), or a
    /// trigger's enabled state.
    fn alter_table_part(&mut self, change: &Change<'_>) {
        let Change { old, new, class, on_new_table, .. } = *change;
        let why = change.why.to_string();
        let table = parent_relation(new);
        match (new.kind, change.prop) {
            ("constraint", "definition") => {
                self.rebuild_references_to(old);
                let sql = format!("ALTER TABLE {table} DROP CONSTRAINT {}", old.name);
                let phase = drop_phase(prop(old, "definition"));
                self.step(phase, Block::Main, class, format!("{why} (dropped first, then added)"), sql);
                self.add_constraint(new, on_new_table, &why);
            }
            ("index", "definition") => {
                self.rebuild_references_to(old);
                let sql = format!("DROP INDEX {}.{}", schema_of(parent_relation(old)), old.name);
                self.step(Phase::DropDependants, Block::Main, class, format!("{why} (dropped, then built again)"), sql);
                self.create_index(new, on_new_table, &why);
            }
            ("trigger", "definition") => {
                self.step(Phase::DropDependants, Block::Main, class, why.clone(), format!("DROP TRIGGER {} ON {table}", old.name));
                self.step(Phase::Dependants, Block::Main, class, why, prop(new, "definition").to_string());
            }
            ("trigger", "enabled") => {
                let how = match prop(new, "enabled") {
                    "DISABLED" => "DISABLE TRIGGER",
                    "replica only" => "ENABLE REPLICA TRIGGER",
                    "always" => "ENABLE ALWAYS TRIGGER",
                    _ => "ENABLE TRIGGER",
                };
                self.step(Phase::Dependants, Block::Main, class, why, format!("ALTER TABLE {table} {how} {}", new.name));
            }
            _ => self.unsupported(format!("{why}: changing this is not planned yet")),
        }
    }

    /// The definition of a view, materialized view, function or procedure, a sequence's
    /// parameters, an enum's labels.
    fn alter_definition(&mut self, change: &Change<'_>) {
        let Change { path, old, new, class, .. } = *change;
        let why = change.why.to_string();
        match (new.kind, change.prop) {
            ("view", "definition") => {
                let body = prop(new, "definition").trim_end_matches(';');
                // CREATE OR REPLACE keeps the old columns, in order, and may only add after them.
                let (was, now) = (view_columns(self.from, &old.path()), view_columns(self.to, &new.path()));
                if now.starts_with(&was) {
                    self.step(Phase::Dependants, Block::Main, class, why, format!("CREATE OR REPLACE VIEW {} AS\n{body}", new.name));
                } else {
                    self.recreate_view(&old.path(), &old.name, class, &why);
                }
            }
            ("materialized view", "definition") => self.recreate_view(&old.path(), &old.name, class, &why),
            ("extension", "version") if is_older(prop(new, "version"), prop(old, "version")) => self.unsupported(format!(
                "{why}: a downgrade, which needs an update script from {} to {} that extensions rarely ship; run ALTER EXTENSION {} UPDATE TO '{}' by hand if yours has one",
                prop(old, "version"),
                prop(new, "version"),
                new.name,
                prop(new, "version")
            )),
            ("extension", "version") => {
                let sql = format!("ALTER EXTENSION {} UPDATE TO {}", new.name, quote_literal(prop(new, "version")));
                self.step(Phase::Namespaces, Block::Main, class, why, sql);
            }
            ("view", "options") => self.reloptions("VIEW", change),
            ("materialized view", "options") => self.reloptions("MATERIALIZED VIEW", change),
            // One statement for both properties: at `definition` when it changed, else at `result`.
            ("function" | "procedure", "result") if prop(old, "definition") != prop(new, "definition") => {}
            ("function" | "procedure", "definition" | "result") => {
                // CREATE OR REPLACE cannot change the result or a parameter's name or default.
                let header = |o: &Object| prop(o, "definition").lines().next().unwrap_or("").to_string();
                if prop(old, "result") != prop(new, "result") || header(old) != header(new) {
                    let sql = format!("DROP {} {}", new.kind.to_uppercase(), old.name);
                    self.step(
                        Phase::Definitions,
                        Block::Main,
                        Class::NeedsConfirm,
                        format!("{why} (dropped and created again: its result or parameters changed)"),
                        sql,
                    );
                }
                let sql = prop(new, "definition").trim_end().trim_end_matches(';').to_string();
                self.step(Phase::Definitions, Block::Main, class, why, sql);
            }
            ("enum", "labels") => self.enum_labels(path, old, new, &why),
            ("domain", _) => self.alter_domain(change),
            ("server" | "foreign data wrapper", _) => self.alter_foreign(change),
            ("grants", "privileges") => self.grants(path, prop(old, "privileges"), prop(new, "privileges"), class, &why),
            ("owner", "owner") => self.owner(&new.name, prop(new, "owner"), class, &why),
            ("event trigger", "enabled") => {
                let sql = event_trigger_state(new).unwrap_or_else(|| format!("ALTER EVENT TRIGGER {} ENABLE", new.name));
                self.step(Phase::Dependants, Block::Main, class, why, sql);
            }
            ("sequence", "parameters") => match sequence_options(prop(new, "parameters")) {
                Some(options) => {
                    let statement = format!("ALTER SEQUENCE {{}} {}", options.replace("START ", "START WITH "));
                    let sql = match owned_sequence_column(new) {
                        Some(column) => on_owned_sequence(column, &statement),
                        None => statement.replace("{}", &new.name),
                    };
                    self.step(Phase::Definitions, Block::Main, class, why, sql);
                }
                None => self.unsupported(format!("{path}: unreadable sequence parameters")),
            },
            _ => self.unsupported(format!("{why}: changing this is not planned yet")),
        }
    }

    /// Storage parameters, or a view's options, from `old`'s to `new`'s: those gone reset,
    /// the target's set (`ALTER <what> … RESET (…)`, `SET (…)`).
    fn reloptions(&mut self, what: &str, change: &Change<'_>) {
        let Change { old, new, class, .. } = *change;
        let keys = |o: &Object| -> Vec<String> {
            prop(o, "options").split(", ").filter_map(|x| x.split_once('=')).map(|(k, _)| k.to_string()).collect()
        };
        let now = keys(new);
        let gone: Vec<String> = keys(old).into_iter().filter(|k| !now.contains(k)).collect();
        if !gone.is_empty() {
            let sql = format!("ALTER {what} {} RESET ({})", new.name, gone.join(", "));
            self.step(Phase::Tables, Block::Main, class, change.why, sql);
        }
        if !now.is_empty() {
            self.step(Phase::Tables, Block::Main, class, change.why, format!("ALTER {what} {} SET ({})", new.name, prop(new, "options")));
        }
    }

    /// A view that cannot be replaced in place: it and the views that select from it are
    /// dropped, then created again from the target (those the target still has).
    fn recreate_view(&mut self, path: &str, name: &str, class: Class, why: &str) {
        self.view_drops.insert(path.to_string());
        if self.to.objects.contains_key(path) {
            self.view_creates.insert(path.to_string(), (class, why.to_string()));
        }
        self.recreate_dependants(name, None, why);
    }

    /// The views that select from `relation` (that use `column`, when given), recursively:
    /// dropped before it changes and created again after (PostgreSQL refuses to change a
    /// column a view uses, or to drop a view others select from).
    fn recreate_dependants(&mut self, relation: &str, column: Option<&str>, why: &str) {
        for path in dependants(self.from, relation, column) {
            self.view_drops.insert(path.clone());
            if self.to.objects.contains_key(&path) {
                let because = format!("{path}: selects from what changes ({why}); dropped and created again");
                self.view_creates.entry(path).or_insert((Class::NeedsConfirm, because));
            }
        }
    }

    /// The views to drop, dependants first; those to create, each after the views it selects
    /// from — with what went with a view that existed before: its comment, indexes, triggers.
    fn emit_views(&mut self) {
        for path in creation_order(self.from, &self.view_drops).into_iter().rev() {
            let view = &self.from.objects[&path];
            let sql = format!("DROP {} {}", view.kind.to_uppercase(), view.name);
            let (class, why) = self.view_creates.get(&path).cloned().unwrap_or_else(|| (removed(view.kind), format!("{path}: gone")));
            self.step(Phase::DropViews, Block::Main, class, why, sql);
        }
        let creates: BTreeSet<String> = self.view_creates.keys().cloned().collect();
        for path in creation_order(self.to, &creates) {
            let view = &self.to.objects[&path];
            let (class, why) = self.view_creates[&path].clone();
            let with = match prop(view, "options") {
                "" => String::new(),
                options => format!(" WITH ({options})"),
            };
            let definition = prop(view, "definition").trim_end_matches(';');
            let sql = format!("CREATE {} {}{with} AS\n{definition}", view.kind.to_uppercase(), view.name);
            let first_step = self.plan.steps.len();
            self.step(Phase::Views, Block::Main, class, why.clone(), sql);
            self.note_made(view, first_step);
            if !self.view_drops.contains(&path) {
                continue; // new: its comment and parts are planned as new objects
            }
            self.set_comment(view, None, Phase::Dependants);
            let unchanged_parts: Vec<&Object> = self
                .to
                .objects
                .values()
                .filter(|o| o.parent.as_deref() == Some(path.as_str()) && matches!(o.kind, "index" | "trigger"))
                .filter(|o| self.from.objects.get(&o.path()) == Some(*o))
                .collect();
            for part in unchanged_parts {
                match part.kind {
                    "index" => self.create_index(part, true, &why),
                    _ => self.step(Phase::Dependants, Block::Main, class, why.clone(), prop(part, "definition").to_string()),
                }
            }
        }
    }

    /// A domain's default, NOT NULL or CHECKs. The CHECKs' names are not compared (equal
    /// schemas may name them differently), so the old ones are dropped by looking them up; the
    /// new ones are added `NOT VALID` and validated in a later transaction, named as PostgreSQL
    /// names them (`<domain>_check`, `<domain>_check1`, …).
    fn alter_domain(&mut self, change: &Change<'_>) {
        let Change { new, class, .. } = *change;
        let why = change.why.to_string();
        let domain = &new.name;
        match change.prop {
            "default" => {
                let sql = match prop(new, "default") {
                    "" => format!("ALTER DOMAIN {domain} DROP DEFAULT"),
                    d => format!("ALTER DOMAIN {domain} SET DEFAULT {d}"),
                };
                self.step(Phase::Definitions, Block::Main, class, why, sql);
            }
            "not null" => {
                let how = if prop(new, "not null") == "not null" { "SET NOT NULL" } else { "DROP NOT NULL" };
                self.step(Phase::Definitions, Block::Main, class, why, format!("ALTER DOMAIN {domain} {how}"));
            }
            "constraints" => {
                let drop_all = format!(
                    "DO $squashmate$\nDECLARE c name;\nBEGIN\n  FOR c IN SELECT conname FROM pg_catalog.pg_constraint WHERE contypid = {}::pg_catalog.regtype AND contype = 'c' LOOP\n    EXECUTE format('ALTER DOMAIN {} DROP CONSTRAINT %I', c);\n  END LOOP;\nEND\n$squashmate$",
                    quote_literal(domain),
                    domain.replace('\'', "''")
                );
                self.step(Phase::Definitions, Block::Main, class, format!("{why} (every CHECK of the domain dropped)"), drop_all);
                let bare = domain.rsplit('.').next().unwrap_or(domain).trim_matches('"');
                for (i, check) in domain_checks(prop(new, "constraints")).iter().enumerate() {
                    let name = crate::sql::quote_ident(&if i == 0 { format!("{bare}_check") } else { format!("{bare}_check{i}") });
                    if self.options.simple {
                        self.step(
                            Phase::Definitions,
                            Block::Main,
                            class,
                            why.clone(),
                            format!("ALTER DOMAIN {domain} ADD CONSTRAINT {name} {check}"),
                        );
                        continue;
                    }
                    let sql = format!("ALTER DOMAIN {domain} ADD CONSTRAINT {name} {check} NOT VALID");
                    self.step(Phase::Definitions, Block::Main, class, format!("{why} (added NOT VALID: no long lock)"), sql);
                    let sql = format!("ALTER DOMAIN {domain} VALIDATE CONSTRAINT {name}");
                    self.step(Phase::Validations, Block::Validate, class, format!("{why} (validated in its own transaction)"), sql);
                }
            }
            "base type" => {
                let why = format!("{why} (recreated: a domain's base type has no ALTER)");
                self.recreate_type(change.path, new, &create_domain(new), prop(new, "base type"), class, &why);
            }
            _ => self.unsupported(format!("{why}: changing this is not planned yet")),
        }
    }

    /// A foreign server's options or version, a foreign-data wrapper's options, handler or
    /// validator.
    fn alter_foreign(&mut self, change: &Change<'_>) {
        let Change { path, old, new, class, .. } = *change;
        let why = change.why.to_string();
        let what = if new.kind == "server" { format!("SERVER {}", new.name) } else { format!("FOREIGN DATA WRAPPER {}", new.name) };
        let phase = if new.kind == "server" { Phase::Definitions } else { Phase::Namespaces };
        let sql = match (new.kind, change.prop) {
            (_, "options") => match options_change(prop(old, "options"), prop(new, "options")) {
                Some(options) => format!("ALTER {what} {options}"),
                None => return,
            },
            ("server", "version") => format!("ALTER {what} VERSION {}", quote_literal(prop(new, "version"))),
            ("foreign data wrapper", "handler" | "validator") => match prop(new, change.prop) {
                "" => format!("ALTER {what} NO {}", change.prop.to_uppercase()),
                function => format!("ALTER {what} {} {function}", change.prop.to_uppercase()),
            },
            _ => return self.unsupported(format!("{path}: changing its {} is not planned yet", change.prop)),
        };
        self.step(phase, Block::Main, class, why, sql);
    }

    /// `GRANT`/`REVOKE` taking an object's privileges from `was` to `now` (with `--privileges`).
    fn grants(&mut self, path: &str, was: &str, now: &str, class: Class, why: &str) {
        let name = path.strip_prefix("grants ").unwrap_or(path);
        let changes = if name.starts_with("default privileges ") {
            let (old, new) = (self.from.objects.get(path), self.to.objects.get(path));
            default_privilege_changes(name, old.map(|o| prop(o, "privileges")), new.map(|o| prop(o, "privileges")))
        } else {
            grant_changes(name, was, now)
        };
        match changes {
            Some(statements) => {
                for (verb, sql) in statements {
                    let phase = match (name.starts_with("default privileges "), verb.takes_away()) {
                        (true, _) => Phase::DefaultPrivileges,
                        (false, true) => Phase::Revokes,
                        (false, false) => Phase::Grants,
                    };
                    self.step(phase, Block::Main, class, why.to_string(), sql);
                }
            }
            None => self.unsupported(format!("{path}: these privileges cannot be read")),
        }
    }

    /// The new objects the target's default privileges reach (their `grants` names): made by
    /// the plan, they get those privileges on creation, so each is first cleared of them (and
    /// of everyone's) and then given exactly the target's. Returns the names cleared.
    fn clear_default_grants(&mut self) -> BTreeSet<String> {
        let defaults: Vec<(&str, &str, Vec<&str>)> = self
            .to
            .objects
            .values()
            .filter(|o| o.kind == "grants")
            .filter_map(|o| {
                let mut words = o.name.strip_prefix("default privileges ")?.split(' ');
                let (role, schema, code) = (words.next()?, words.next()?, words.next()?);
                let grantees = from_acl(prop(o, "privileges"), role)?.into_iter().map(|g| g.grantee).collect();
                Some((schema, code, grantees))
            })
            .collect();
        let mut cleared = BTreeSet::new();
        let new_objects = self.to.objects.iter().filter(|(path, o)| {
            o.parent.is_none()
                && o.definition_key.is_none()
                && !self.from.objects.contains_key(*path)
                && !self.renamed_to.contains_key(*path)
        });
        let mut steps = Vec::new();
        for (path, object) in new_objects {
            let (granted, code) = match object.kind {
                "table" | "view" | "materialized view" | "foreign table" => (format!("table {}", object.name), "r"),
                "sequence" => (format!("table {}", object.name), "S"),
                "function" | "procedure" => (format!("{} {}", object.kind, object.name), "f"),
                "enum" | "domain" | "composite type" | "range type" => (format!("type {}", object.name), "T"),
                "schema" => (format!("schema {}", object.name), "n"),
                _ => continue,
            };
            let schema = if code == "n" { "*" } else { schema_of(&object.name) };
            let mut grantees: BTreeSet<&str> = defaults
                .iter()
                .filter(|(s, c, _)| *c == code && (*s == "*" || *s == schema))
                .flat_map(|(_, _, g)| g.iter().copied())
                .collect();
            if !defaults.iter().any(|(s, c, _)| *c == code && (*s == "*" || *s == schema)) {
                continue;
            }
            let Some((target, _)) = grant_target(&granted) else { continue };
            if matches!(code, "f" | "T") {
                grantees.insert("PUBLIC"); // everyone's by default, unless the defaults say otherwise
            }
            for who in grantees {
                let why = format!("{path}: new, made with the target's default privileges (cleared, then granted as the target has them)");
                steps.push((why, format!("REVOKE ALL ON {target} FROM {who}")));
            }
            cleared.insert(granted);
        }
        for (why, sql) in steps {
            self.step(Phase::Revokes, Block::Main, Class::Safe, why, sql);
        }
        cleared
    }

    /// `ALTER … OWNER TO` for the object an `owner` object names (`table public.t`).
    fn owner(&mut self, name: &str, owner: &str, class: Class, why: &str) {
        let Some((kind, object)) =
            ["materialized view", "foreign table", "table", "view", "sequence", "function", "procedure", "type", "schema"]
                .iter()
                .find_map(|k| name.strip_prefix(&format!("{k} ")).map(|object| (k.to_uppercase(), object)))
        else {
            return self.unsupported(format!("owner {name}: an owner of this kind cannot be written yet"));
        };
        self.step(Phase::Dependants, Block::Main, class, why.to_string(), format!("ALTER {kind} {object} OWNER TO {owner}"));
    }

    /// Whether the object a `grants` object names is still in the target.
    fn granted_object_stays(&self, name: &str) -> bool {
        let Some((kind, object)) = name.split_once(' ') else { return false };
        if name.starts_with("default privileges ") {
            return true;
        }
        let object = match kind {
            "column" => {
                return object
                    .rsplit_once('.')
                    .is_some_and(|(table, column)| self.to.objects.keys().any(|p| p.ends_with(&format!(" {table} / column {column}"))));
            }
            _ => object,
        };
        let kinds: &[&str] = match kind {
            "type" => &["enum", "domain", "composite type", "range type"],
            _ => &["table", "view", "materialized view", "sequence", "foreign table", "schema", "function", "procedure"],
        };
        kinds.iter().any(|k| self.to.objects.contains_key(&format!("{k} {object}")))
    }

    /// An existing table attached as a partition, detached, or moved to another bound
    /// (detached first). Attaching scans the table to check its rows fit the bound.
    fn attach_or_detach(&mut self, change: &Change<'_>) {
        let Change { old, new, .. } = *change;
        let why = change.why.to_string();
        if !prop(old, "partition bound").is_empty() {
            let sql = format!("ALTER TABLE {} DETACH PARTITION {}", prop(old, "inherits"), old.name);
            self.step(Phase::Tables, Block::Main, Class::NeedsConfirm, format!("{why} (detached)"), sql);
        }
        if !prop(new, "partition bound").is_empty() {
            let sql = format!("ALTER TABLE {} ATTACH PARTITION {} {}", prop(new, "inherits"), new.name, prop(new, "partition bound"));
            self.step(
                Phase::ChildTables,
                Block::Main,
                Class::NeedsConfirm,
                format!("{why} (attached: its rows are checked against the bound)"),
                sql,
            );
        }
    }

    /// An existing column given a sequence of its own (`int` → `serial`): the sequence made
    /// as `serial` names it, owned by the column, started after the largest value already
    /// there, and the default set.
    fn own_sequence(&mut self, column: &Object, class: Class, why: &str) {
        let table = parent_relation(column);
        let parameters = self.to.objects.get(&format!("sequence owned by {table}.{}", column.name)).map(|s| prop(s, "parameters"));
        let Some(options) = parameters.and_then(sequence_options) else {
            return self.unsupported(format!("{why}: the column's sequence is not in the target"));
        };
        let (schema, bare_table) = table.rsplit_once('.').unwrap_or(("public", table));
        let bare = |name: &str| name.trim_matches('"').replace("\"\"", "\"");
        let sequence =
            format!("{schema}.{}", crate::sql::quote_ident_if_needed(&format!("{}_{}_seq", bare(bare_table), bare(&column.name))));
        let column_name = &column.name;
        for sql in [
            format!("CREATE SEQUENCE {sequence} {options} OWNED BY {table}.{column_name}"),
            format!("SELECT pg_catalog.setval({}, coalesce(max({column_name}), 0) + 1, false) FROM {table}", quote_literal(&sequence)),
            format!(
                "ALTER TABLE {table} ALTER COLUMN {column_name} SET DEFAULT {}",
                prop(column, "default").replace(OWNED_SEQUENCE, &format!("{}::regclass", quote_literal(&sequence)))
            ),
        ] {
            self.step(Phase::Tables, Block::Main, class, why, sql);
        }
    }

    /// A type's attributes or a table's columns, in order.
    fn members<'c>(&self, catalog: &'c Catalog, parent: &str) -> Vec<&'c Object> {
        let mut members: Vec<&Object> =
            catalog.objects.values().filter(|o| o.kind == "column" && o.parent.as_deref() == Some(parent)).collect();
        members.sort_by_key(|c| prop(c, "position").parse::<u32>().unwrap_or(0));
        members
    }

    /// A generated column's expression changed: `SET EXPRESSION` where the server has it
    /// (17+), else the column dropped and added again (its values are computed anyway).
    fn generated(&mut self, column: &Object, why: &str, class: Class) {
        let table = parent_relation(column);
        let expression = prop(column, "generated");
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

    /// An enum whose labels were removed or reordered, recreated: the old type renamed, the new
    /// one created, every column using it converted through text (a value no longer listed
    /// fails loudly), the old type dropped. Destructive: values can be lost.
    fn recreate_enum(&mut self, path: &str, new: &Object, why: &str) {
        let create = format!("CREATE TYPE {} AS ENUM ({})", new.name, prop(new, "labels"));
        self.recreate_type(path, new, &create, "text", Class::Destructive, &format!("{why} (recreated: labels removed or reordered)"));
    }

    /// A type recreated under its name: the old one renamed, the new one created (`create`),
    /// every column using it converted through `via` (its default set again; the views that
    /// select it dropped before and created again after), the old one dropped.
    fn recreate_type(&mut self, path: &str, new: &Object, create: &str, via: &str, class: Class, why: &str) {
        let name = &new.name;
        let old_name = format!("{}_squashmate_old", name.rsplit_once('.').map_or(name.as_str(), |(_, n)| n).trim_matches('"'));
        let old_name = crate::sql::quote_ident_if_needed(&old_name);
        let kind = if new.kind == "domain" { "DOMAIN" } else { "TYPE" };
        let users: Vec<&Object> = self
            .from
            .objects
            .values()
            .filter(|o| o.kind == "column" && (prop(o, "type") == name || prop(o, "type") == format!("{name}[]")))
            .collect();
        // A composite type's attribute cannot follow: nothing of the change is planned then.
        let in_types: Vec<String> = users.iter().filter(|c| of_a_type(c)).map(|c| c.path()).collect();
        if !in_types.is_empty() {
            return in_types
                .iter()
                .for_each(|c| self.unsupported(format!("{path}: used by {c}, which a recreated type would have to follow")));
        }
        self.step(Phase::Tables, Block::Main, class, why, format!("ALTER {kind} {name} RENAME TO {old_name}"));
        self.step(Phase::Tables, Block::Main, class, why, create.to_string());
        for column in users {
            if of_a_view(column) {
                continue; // follows its view, dropped and created again around the change below
            }
            let (table, col) = (parent_relation(column), &column.name);
            self.recreate_dependants(table, Some(col), why);
            let array = if prop(column, "type").ends_with("[]") { "[]" } else { "" };
            let default = prop(column, "default");
            if !default.is_empty() {
                let sql = format!("ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT");
                self.step(Phase::Tables, Block::Main, class, why, sql);
            }
            let sql = format!("ALTER TABLE {table} ALTER COLUMN {col} TYPE {name}{array} USING {col}::{via}{array}::{name}{array}");
            self.step(Phase::Tables, Block::Main, class, why, sql);
            if !default.is_empty() {
                let sql = format!("ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {default}");
                self.step(Phase::Tables, Block::Main, class, why, sql);
            }
        }
        self.step(Phase::Tables, Block::Main, class, why, format!("DROP {kind} {old_name}"));
    }

    /// `DROP NOT NULL`, or `SET NOT NULL` through a validated check (no long lock).
    fn nullability(&mut self, column: &Object, why: &str, class: Class) {
        let (table, name) = (parent_relation(column), &column.name);
        if prop(column, "nullability") != "not null" {
            self.step(Phase::Tables, Block::Main, class, why, format!("ALTER TABLE {table} ALTER COLUMN {name} DROP NOT NULL"));
            return;
        }
        if self.options.simple {
            self.step(Phase::Tables, Block::Main, class, why, format!("ALTER TABLE {table} ALTER COLUMN {name} SET NOT NULL"));
            return;
        }
        let helper = crate::sql::quote_ident(&format!("{}_not_null_squashmate", name.trim_matches('"')));
        let steps = [
            (Phase::Dependants, Block::Main, format!("ALTER TABLE {table} ADD CONSTRAINT {helper} CHECK ({name} IS NOT NULL) NOT VALID")),
            (Phase::Validations, Block::Validate, format!("ALTER TABLE {table} VALIDATE CONSTRAINT {helper}")),
            (Phase::Validations, Block::Validate, format!("ALTER TABLE {table} ALTER COLUMN {name} SET NOT NULL")),
            (Phase::Validations, Block::Validate, format!("ALTER TABLE {table} DROP CONSTRAINT {helper}")),
        ];
        for (phase, block, sql) in steps {
            self.step(phase, block, class, format!("{why} (through a validated check: no long lock)"), sql);
        }
    }

    /// New enum labels added in place; anything else (a removed or reordered label) needs the
    /// type recreated, which is not planned.
    fn enum_labels(&mut self, path: &str, old: &Object, new: &Object, why: &str) {
        let labels = |o: &Object| -> Vec<String> { prop(o, "labels").split(", ").map(String::from).collect() };
        let (was, now) = (labels(old), labels(new));
        let kept: Vec<&String> = now.iter().filter(|l| was.contains(l)).collect();
        if kept.len() != was.len() || kept.iter().zip(&was).any(|(a, b)| *a != b) {
            return self.recreate_enum(path, new, why);
        }
        for (i, label) in now.iter().enumerate().filter(|(_, l)| !was.contains(l)) {
            let place = match i.checked_sub(1).map(|j| &now[j]) {
                Some(before) => format!(" AFTER {before}"),
                None => format!(" BEFORE {}", now[1]),
            };
            self.step(Phase::Definitions, Block::Main, Class::Safe, why, format!("ALTER TYPE {} ADD VALUE {label}{place}", new.name));
        }
    }
}

/// A view's columns (name and type), in order.
fn view_columns(catalog: &Catalog, view_path: &str) -> Vec<(String, String)> {
    let mut columns: Vec<&Object> =
        catalog.objects.values().filter(|o| o.kind == "column" && o.parent.as_deref() == Some(view_path)).collect();
    columns.sort_by_key(|c| prop(c, "position").parse::<u32>().unwrap_or(0));
    columns.into_iter().map(|c| (c.name.clone(), prop(c, "type").to_string())).collect()
}

/// The CHECKs of a domain's `constraints` (definitions joined by ` AND `, which a CHECK may
/// hold too; from PostgreSQL 17 a `NOT NULL` is listed as well).
fn domain_checks(constraints: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for piece in constraints.split(" AND ").filter(|p| !p.is_empty()) {
        match items.last_mut() {
            Some(last) if !piece.starts_with("CHECK ") && !piece.starts_with("NOT NULL") => {
                last.push_str(" AND ");
                last.push_str(piece);
            }
            _ => items.push(piece.to_string()),
        }
    }
    items.retain(|item| item.starts_with("CHECK "));
    items
}

/// `CREATE DOMAIN` with its default, NOT NULL and CHECKs.
fn create_domain(domain: &Object) -> String {
    let mut sql = format!("CREATE DOMAIN {} AS {}", domain.name, prop(domain, "base type"));
    if !prop(domain, "default").is_empty() {
        sql.push_str(&format!(" DEFAULT {}", prop(domain, "default")));
    }
    if prop(domain, "not null") == "not null" {
        sql.push_str(" NOT NULL");
    }
    for check in domain_checks(prop(domain, "constraints")) {
        sql.push_str(&format!(" {check}"));
    }
    sql
}

/// A column of a view or materialized view: it follows the definition.
fn of_a_view(object: &Object) -> bool {
    object.kind == "column" && object.parent.as_deref().is_some_and(|p| p.starts_with("view ") || p.starts_with("materialized view "))
}

/// An attribute of a composite type (a column object under `composite type …`).
fn of_a_type(object: &Object) -> bool {
    object.kind == "column" && object.parent.as_deref().is_some_and(|p| p.starts_with("composite type "))
}

fn shown(value: &str) -> &str {
    if value.is_empty() { "(none)" } else { value }
}

/// `CREATE SEQUENCE` options from the catalog's `parameters`
/// (`bigint start 1 increment 1 min 1 max 9223372036854775807 cache 1 cycle false`).
fn sequence_options(parameters: &str) -> Option<String> {
    let words: Vec<&str> = parameters.split_whitespace().collect();
    let value = |key: &str| words.iter().position(|w| *w == key).and_then(|i| words.get(i + 1)).copied();
    let cycle = if value("cycle")? == "true" { "CYCLE" } else { "NO CYCLE" };
    Some(format!(
        "AS {} START {} INCREMENT {} MINVALUE {} MAXVALUE {} CACHE {} {cycle}",
        words.first()?,
        value("start")?,
        value("increment")?,
        value("min")?,
        value("max")?,
        value("cache")?
    ))
}

/// Constraints, indexes and owned sequences are matched by definition, not name.
fn key(object: &Object) -> (String, Option<String>, Option<String>) {
    (object.kind.to_string(), object.parent.clone(), object.definition_key.clone())
}

/// The definitions of `catalog`'s renameable objects (auto-named constraints and indexes,
/// owned sequences) that `other` lacks by name: those a new name may be a rename of. One that
/// keeps its name is never taken for a rename, even where another has its old definition.
fn keyed(catalog: &Catalog, other: &Catalog) -> BTreeSet<(String, Option<String>, Option<String>)> {
    catalog
        .objects
        .iter()
        .filter(|(path, o)| o.definition_key.is_some() && !other.objects.contains_key(*path))
        .map(|(_, o)| key(o))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domains_checks_are_read_back_whole() {
        assert_eq!(
            domain_checks("NOT NULL AND CHECK (((VALUE > 0) AND (VALUE < 10))) AND CHECK ((VALUE <> 5))"),
            ["CHECK (((VALUE > 0) AND (VALUE < 10)))", "CHECK ((VALUE <> 5))"]
        );
        assert!(domain_checks("").is_empty());
    }

    #[test]
    fn sequences_and_columns_are_written_back() {
        assert_eq!(
            sequence_options("bigint start 5 increment 2 min 1 max 100 cache 1 cycle true").as_deref(),
            Some("AS bigint START 5 INCREMENT 2 MINVALUE 1 MAXVALUE 100 CACHE 1 CYCLE")
        );
        let column = |props: &[(&'static str, &str)]| Object {
            kind: "column",
            parent: Some("table public.t".into()),
            name: "id".into(),
            definition_key: None,
            props: props.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        };
        let serial = column(&[("type", "integer"), ("default", "nextval(<sequence owned by this column>)"), ("nullability", "not null")]);
        assert_eq!(column_definition(&serial).unwrap(), "id serial");
        let plain = column(&[("type", "text"), ("default", "'x'::text"), ("nullability", "not null")]);
        assert_eq!(column_definition(&plain).unwrap(), "id text DEFAULT 'x'::text NOT NULL");
    }

    #[test]
    fn keys_and_the_foreign_keys_that_reference_them_are_read_from_their_definitions() {
        assert_eq!(key_columns("PRIMARY KEY (id)"), Some(vec!["id"]));
        assert_eq!(key_columns("UNIQUE NULLS NOT DISTINCT (a, \"B c\")"), None, "a quoted name with a space is not guessed");
        assert_eq!(key_columns("UNIQUE (org, id)"), Some(vec!["org", "id"]));
        assert_eq!(key_columns("CREATE UNIQUE INDEX ON public.t USING btree (a, b)"), Some(vec!["a", "b"]));
        assert_eq!(key_columns("CREATE UNIQUE INDEX ON public.t USING btree (a) WHERE (a > 0)"), None);
        assert_eq!(key_columns("CREATE UNIQUE INDEX ON public.t USING btree (lower(a))"), None);
        assert_eq!(key_columns("CHECK ((a > 0))"), None);
        assert_eq!(
            references("FOREIGN KEY (o, p) REFERENCES public.parent(id, org) ON DELETE CASCADE"),
            Some(("public.parent", vec!["id", "org"]))
        );
        assert!(same_columns(&["id", "org"], &["org", "id"]) && !same_columns(&["id"], &["id", "org"]));
        assert!(is_key("EXCLUDE USING gist (r WITH &&)") && !is_key("FOREIGN KEY (a) REFERENCES t(a)"));
        assert_eq!(drop_phase("FOREIGN KEY (a) REFERENCES public.t(a)"), Phase::DropForeignKeys);
        assert_eq!(name_in_path("table public.\"Order Items\""), "public.\"Order Items\"");
        assert_eq!(name_in_path("materialized view public.m"), "public.m");
        let (was, now) = (
            Identity::read("by default (1 1 1 2147483647 1 false)").unwrap(),
            Identity::read("always (5 100 1 2147483647 10 true)").unwrap(),
        );
        assert_eq!(now.options(Some(&was)), ["START WITH 100", "INCREMENT BY 5", "CACHE 10", "CYCLE"]);
        assert_eq!(was.options(None).len(), 6);
        assert_eq!(Identity::read(""), None);
        assert!(is_older("1.9", "1.10") && !is_older("1.10", "1.9") && !is_older("2.0beta", "1.0") && !is_older("1.5", "1.5"));
    }
}
