//! New objects as DDL: tables (partitions, inheriting and foreign ones), indexes (built
//! concurrently, on a partitioned table partition by partition), policies, comments and every
//! other kind the catalog reads.

use super::*;

/// What `COMMENT ON` calls an object, if anything.
pub(super) fn comment_target(object: &Object) -> Option<String> {
    let name = &object.name;
    Some(match object.kind {
        Kind::Schema => format!("SCHEMA {name}"),
        Kind::Table => format!("TABLE {name}"),
        Kind::View => format!("VIEW {name}"),
        Kind::MaterializedView => format!("MATERIALIZED VIEW {name}"),
        Kind::Column => format!("COLUMN {}.{name}", object.parent_name()),
        Kind::Constraint => format!("CONSTRAINT {name} ON {}", object.parent_name()),
        Kind::Index => format!("INDEX {}.{name}", schema_of(object.parent_name())),
        Kind::Sequence => format!("SEQUENCE {name}"),
        Kind::Function => format!("FUNCTION {name}"),
        Kind::Procedure => format!("PROCEDURE {name}"),
        Kind::Aggregate => format!("AGGREGATE {name}"),
        Kind::Trigger => format!("TRIGGER {name} ON {}", object.parent_name()),
        Kind::Enum | Kind::Domain | Kind::CompositeType | Kind::RangeType => format!("TYPE {name}"),
        Kind::ForeignTable => format!("FOREIGN TABLE {name}"),
        // The catalog reads no comment of these.
        Kind::Extension
        | Kind::Policy
        | Kind::Rule
        | Kind::Publication
        | Kind::EventTrigger
        | Kind::Statistics
        | Kind::Collation
        | Kind::Cast
        | Kind::Operator
        | Kind::ForeignDataWrapper
        | Kind::Server
        | Kind::Grants
        | Kind::Owner => return None,
    })
}

/// A unique index on a table is a key a foreign key may reference (made with the keys); any
/// other index, and every index on a materialized view, comes after the views.
fn index_phase(index: &Object) -> Phase {
    let on_a_view = index.parent.as_ref().is_some_and(|p| p.kind.is_view());
    if index.prop(Prop::Definition).starts_with("CREATE UNIQUE INDEX") && !on_a_view { Phase::Keys } else { Phase::Dependants }
}

/// The policy command letter as SQL.
pub(super) fn policy_command(letter: &str) -> &'static str {
    match letter {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    }
}

impl Planner<'_> {
    pub(super) fn create_object(&mut self, path: &ObjectPath, object: &Object, created_tables: &BTreeSet<ObjectPath>) {
        let name = &object.name;
        let on_new_table = object.parent.as_ref().is_some_and(|p| created_tables.contains(&p.path()));
        let why = format!("{path}: new");
        let class = added(object);
        match object.kind {
            Kind::Schema => self.step(Phase::Namespaces, Block::Main, class, why, format!("CREATE SCHEMA {name}")),
            Kind::Extension => self.step(
                Phase::Namespaces,
                Block::Main,
                class,
                why,
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {} VERSION {}",
                    object.prop(Prop::Schema),
                    quote_literal(object.prop(Prop::Version))
                ),
            ),
            Kind::Table | Kind::ForeignTable => self.create_table(path, object),
            Kind::Column if of_a_type(object) => {
                let sql = format!("ALTER TYPE {} ADD ATTRIBUTE {} {}", object.parent_name(), name, object.prop(Prop::Type));
                self.step(Phase::Definitions, Block::Main, class, why, sql);
            }
            Kind::Column => match column_definition(object) {
                Ok(definition) => {
                    let sql = format!("ALTER TABLE {} ADD COLUMN {definition}", object.parent_name());
                    self.step(Phase::Tables, Block::Main, class, why, sql);
                }
                Err(e) => self.unsupported(e),
            },
            Kind::CompositeType => {
                let attributes: Vec<String> =
                    self.members(self.to, path).iter().map(|a| format!("{} {}", a.name, a.prop(Prop::Type))).collect();
                self.step(Phase::Definitions, Block::Main, class, why, format!("CREATE TYPE {name} AS ({})", attributes.join(", ")));
            }
            Kind::Publication => self.step(Phase::Dependants, Block::Main, class, why, create_publication(object)),
            Kind::Statistics => self.step(Phase::Dependants, Block::Main, class, why, object.prop(Prop::Definition).to_string()),
            Kind::Rule => {
                self.step(Phase::Dependants, Block::Main, class, why, object.prop(Prop::Definition).trim_end_matches(';').to_string())
            }
            Kind::Collation => match create_collation(object) {
                Some(sql) => self.step(Phase::Definitions, Block::Main, class, why, sql),
                None => self.unsupported(format!("{path}: a collation of provider {}", object.prop(Prop::Provider))),
            },
            Kind::Constraint => self.add_constraint(object, on_new_table, &why),
            Kind::Index => self.create_index(object, on_new_table, &why),
            Kind::View | Kind::MaterializedView => {
                self.view_creates.entry(path.clone()).or_insert((class, why));
            }
            Kind::Sequence if object.definition_key.is_some() => {} // owned: made by its serial column
            Kind::Sequence if self.handovers.released.contains_key(path) => {
                let column = self.handovers.released[path].clone();
                self.release_sequence(object, &column);
            }
            Kind::Sequence => match sequence_options(object, Start::Create) {
                Some(options) => self.step(Phase::Definitions, Block::Main, class, why, format!("CREATE SEQUENCE {name} {options}")),
                None => self.unsupported(format!("{path}: unreadable sequence parameters")),
            },
            Kind::Function | Kind::Procedure => {
                // A routine whose signature names a table (row type) the plan creates comes after it.
                let signature = format!("{} {}", object.name, object.prop(Prop::Result));
                let uses_new_table = created_tables.iter().any(|table| names(&signature, table.name()));
                let phase = if self.names_a_remade_view(object) {
                    Phase::Dependants
                } else if uses_new_table {
                    Phase::Views
                } else {
                    Phase::Definitions
                };
                self.step(phase, Block::Main, class, why, object.prop(Prop::Definition).trim_end().trim_end_matches(';').to_string());
            }
            Kind::Trigger => self.step(Phase::Dependants, Block::Main, class, why, object.prop(Prop::Definition).to_string()),
            Kind::Aggregate => self.step(Phase::Definitions, Block::Main, class, why, object.prop(Prop::Definition).to_string()),
            Kind::Enum => self.step(
                Phase::Definitions,
                Block::Main,
                class,
                why,
                format!("CREATE TYPE {name} AS ENUM ({})", object.prop(Prop::Labels)),
            ),
            Kind::Domain => self.step(Phase::Definitions, Block::Main, class, why, create_domain(object)),
            Kind::Policy => self.create_policy(object, &why),
            Kind::Cast => match create_cast(object) {
                Some(sql) => self.step(Phase::Tables, Block::Main, class, why, sql),
                None => self.unsupported(format!("{path}: a cast of method {}", object.prop(Prop::Method))),
            },
            Kind::Operator => match create_operator(object) {
                Some(sql) => self.step(Phase::Tables, Block::Main, class, why, sql),
                None => self.unsupported(format!("{path}: an operator whose signature cannot be read")),
            },
            Kind::ForeignDataWrapper => self.step(Phase::Namespaces, Block::Main, class, why, create_wrapper(object)),
            Kind::Grants => {
                let made_with = if self.cleared_grants.contains(path) { "" } else { implicit_privileges(object) };
                self.grants(path, made_with, object.prop(Prop::Privileges), class, &why);
            }
            Kind::Owner => self.owner(object, object.prop(Prop::Owner), class, &why),
            Kind::RangeType => {
                let sql = format!("CREATE TYPE {name} AS RANGE (subtype = {})", object.prop(Prop::Subtype));
                self.step(Phase::Definitions, Block::Main, class, why, sql);
            }
            Kind::EventTrigger => {
                for sql in create_event_trigger(object) {
                    self.step(Phase::Dependants, Block::Main, class, why.clone(), sql);
                }
            }
            Kind::Server => self.step(Phase::Definitions, Block::Main, class, why, create_server(object)),
        }
        self.set_comment(object, None, Phase::Dependants);
    }

    pub(super) fn create_table(&mut self, path: &ObjectPath, table: &Object) {
        let options = match table.prop(Prop::Options) {
            "" => String::new(),
            options => format!(" WITH ({options})"),
        };
        let partition = match table.prop(Prop::PartitionKey) {
            "" => String::new(),
            key => format!(" PARTITION BY {key}"),
        };
        let (bound, parents) = (table.prop(Prop::PartitionBound), table.prop(Prop::Inherits));
        if !bound.is_empty() {
            // A partition takes its columns from its parent.
            let sql = format!("CREATE TABLE {} PARTITION OF {parents} {bound}{partition}{options}", table.name);
            self.step(Phase::ChildTables, Block::Main, Class::Safe, format!("{path}: new partition"), sql);
            self.partition_column_overrides(path, table, parents);
            self.table_security(table, None);
            return;
        }
        // Columns a parent has come from it (INHERITS): declared here they would be local too.
        let inherited = |column: &Object| {
            table.items(Prop::Inherits).iter().any(|parent| self.to.objects.contains_key(&ObjectPath::column(parent, &column.name)))
        };
        let mut columns: Vec<&Object> =
            self.to.objects.values().filter(|o| o.kind == Kind::Column && o.is_under(path) && !inherited(o)).collect();
        columns.sort_by_key(|c| c.prop(Prop::Position).parse::<u32>().unwrap_or(0));
        let mut definitions = Vec::new();
        for column in columns {
            match column_definition(column) {
                Ok(definition) => definitions.push(definition),
                Err(e) => return self.unsupported(format!("{path}: {e}")),
            }
            self.set_comment(column, None, Phase::Dependants);
        }
        if table.kind == Kind::ForeignTable {
            let sql = format!(
                "CREATE FOREIGN TABLE {} (\n    {}\n) SERVER {}{}",
                table.name,
                definitions.join(",\n    "),
                table.prop(Prop::Server),
                options_clause(table.options(Prop::ForeignOptions))
            );
            return self.step(Phase::Tables, Block::Main, Class::Safe, format!("{path}: new"), sql);
        }
        let unlogged = if table.prop(Prop::Persistence) == "unlogged" { "UNLOGGED " } else { "" };
        let (inherits, phase) = match parents {
            "" => (String::new(), Phase::Tables),
            parents => (format!(" INHERITS ({parents})"), Phase::ChildTables),
        };
        let sql = format!("CREATE {unlogged}TABLE {} (\n    {}\n){inherits}{partition}{options}", table.name, definitions.join(",\n    "));
        self.step(phase, Block::Main, Class::Safe, format!("{path}: new"), sql);
        self.table_security(table, None);
        if !table.prop(Prop::ReplicaIdentity).is_empty() {
            self.replica_identity(table, Class::Safe, &format!("{path}: new"));
        }
    }

    /// A new partition's columns where they differ from its parent's: a default of their own,
    /// NOT NULL where the parent allows NULL (`PARTITION OF … (col DEFAULT …, col NOT NULL)`).
    fn partition_column_overrides(&mut self, path: &ObjectPath, partition: &Object, parent: &str) {
        let columns: Vec<&Object> = self.members(self.to, path);
        for column in columns {
            let Some(inherited) = self.to.objects.get(&ObjectPath::column(parent, &column.name)) else { continue };
            let why = format!("{} (its own, not its parent's)", column.path());
            let alter = format!("ALTER TABLE {} ALTER COLUMN {}", partition.name, column.name);
            if column.prop(Prop::Default) != inherited.prop(Prop::Default) {
                let sql = match column.prop(Prop::Default) {
                    "" => format!("{alter} DROP DEFAULT"),
                    default => format!("{alter} SET DEFAULT {default}"),
                };
                self.step(Phase::ChildTables, Block::Main, Class::Safe, why.clone(), sql);
            }
            if column.prop(Prop::Nullability) == "not null" && inherited.prop(Prop::Nullability) != "not null" {
                self.step(Phase::ChildTables, Block::Main, Class::Safe, why, format!("{alter} SET NOT NULL"));
            }
            self.set_comment(column, None, Phase::Dependants);
        }
    }

    /// `REPLICA IDENTITY` as the table's property says (default, nothing, full, using an index).
    pub(super) fn replica_identity(&mut self, table: &Object, class: Class, why: &str) {
        let how = match table.prop(Prop::ReplicaIdentity) {
            "" => "DEFAULT".to_string(),
            "n" => "NOTHING".to_string(),
            "f" => "FULL".to_string(),
            using if using.starts_with("using index ") => format!("USING INDEX {}", &using["using index ".len()..]),
            _ => return self.unsupported(format!("{why}: unreadable replica identity")),
        };
        self.step(Phase::Dependants, Block::Main, class, why, format!("ALTER TABLE {} REPLICA IDENTITY {how}", table.name));
    }

    pub(super) fn table_security(&mut self, table: &Object, old: Option<&Object>) {
        let was = |p: Prop| old.map(|o| o.prop(p).to_string()).unwrap_or_default();
        let name = &table.name;
        for (p, on, off) in [
            (Prop::RowLevelSecurity, "ENABLE ROW LEVEL SECURITY", "DISABLE ROW LEVEL SECURITY"),
            (Prop::ForceRowLevelSecurity, "FORCE ROW LEVEL SECURITY", "NO FORCE ROW LEVEL SECURITY"),
        ] {
            let now = table.prop(p);
            if now != was(p) {
                let (sql, class) = if now.is_empty() { (off, Class::NeedsConfirm) } else { (on, Class::NeedsConfirm) };
                self.step(Phase::Dependants, Block::Main, class, format!("table {name} / {p}"), format!("ALTER TABLE {name} {sql}"));
            }
        }
    }

    /// An index on an existing partitioned table, without a long lock (PostgreSQL cannot build
    /// one concurrently): made on the parent alone, built concurrently on each partition, then
    /// each attached, which makes the parent's valid. False, planning nothing, where a partition
    /// is partitioned itself.
    pub(super) fn index_each_partition(&mut self, index: &Object, why: &str) -> bool {
        let parent = index.parent_name();
        let partitions: Vec<&Object> = self
            .to
            .objects
            .values()
            .filter(|o| o.kind == Kind::Table && o.prop(Prop::Inherits) == parent && !o.prop(Prop::PartitionBound).is_empty())
            .collect();
        if partitions.iter().any(|p| !p.prop(Prop::PartitionKey).is_empty()) {
            return false;
        }
        let definition = index.prop(Prop::Definition);
        let phase = index_phase(index);
        let on_parent = definition.replacen("INDEX ON ", &format!("INDEX {} ON ", index.name), 1);
        self.step(
            phase,
            Block::Main,
            Class::Safe,
            format!("{why} (on the partitioned table alone: built on each partition next)"),
            on_parent,
        );
        let columns = definition.rsplit_once(" (").map_or("", |(_, c)| c.trim_end_matches(')'));
        let suffix: String = columns.split(", ").map(bare).collect::<Vec<_>>().join("_");
        for partition in partitions {
            let child =
                crate::sql::quote_ident_if_needed(&crate::sql::fit_identifier(&format!("{}_{suffix}", bare(&partition.name)), "_idx"));
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

    pub(super) fn create_index(&mut self, index: &Object, on_new_table: bool, why: &str) {
        let definition = index.prop(Prop::Definition);
        let concurrently = !self.options.simple && !on_new_table;
        if concurrently && definition.contains(" ON ONLY ") && self.index_each_partition(index, why) {
            return;
        }
        let made = if concurrently { format!("INDEX CONCURRENTLY {} ON ", index.name) } else { format!("INDEX {} ON ", index.name) };
        let sql = definition.replacen("INDEX ON ", &made, 1);
        let block = if concurrently { Block::Concurrently } else { Block::Main };
        let phase = index_phase(index);
        self.step(phase, block, Class::Safe, why, sql);
    }

    /// An index whose definition changes on a table that stays, replaced without a moment
    /// when the table has neither: the new one built concurrently under a temporary name, the
    /// old one dropped concurrently, the new one renamed (a short SHARE UPDATE EXCLUSIVE lock).
    /// False, planning nothing, where PostgreSQL has no concurrent form (a partitioned table's
    /// index), a foreign key uses the old index, a column it uses goes or changes type (taking
    /// the index with it), or the temporary name is taken.
    pub(super) fn replace_index_online(&mut self, old: &Object, new: &Object, why: &str) -> bool {
        let on_a_partitioned_table = [old, new].iter().any(|i| i.prop(Prop::Definition).contains(" ON ONLY "));
        let Ok(bare) = crate::sql::parse_qualified(&new.name) else { return false };
        let temporary = crate::sql::quote_ident_if_needed(&crate::sql::fit_identifier(&bare[0], "_new"));
        let taken = [self.from, self.to]
            .iter()
            .any(|c| c.objects.values().any(|o| matches!(o.kind, Kind::Index | Kind::Constraint) && o.name == temporary));
        // A column the old index uses that goes or changes type takes the index with it first.
        let columns_change = self.from.objects.iter().any(|(path, column)| {
            column.kind == Kind::Column
                && column.parent == old.parent
                && old.prop(Prop::Definition).contains(column.name.as_str())
                && self.to.objects.get(path).is_none_or(|now| {
                    now.prop(Prop::Type) != column.prop(Prop::Type) || now.prop(Prop::Collation) != column.prop(Prop::Collation)
                })
        });
        if self.options.simple || on_a_partitioned_table || taken || columns_change || !self.foreign_keys_using(old).is_empty() {
            return false;
        }
        let schema = schema_of(new.parent_name()).to_string();
        let phase = index_phase(new);
        let build = new.prop(Prop::Definition).replacen("INDEX ON ", &format!("INDEX CONCURRENTLY {temporary} ON "), 1);
        self.step(phase, Block::Concurrently, Class::Safe, format!("{why} (built beside the old one under a temporary name)"), build);
        let drop = format!("DROP INDEX CONCURRENTLY {schema}.{}", old.name);
        self.step(
            Phase::Drops,
            Block::Concurrently,
            Class::NeedsConfirm,
            format!("{why} (the old one dropped once the new one is valid)"),
            drop,
        );
        let rename = format!("ALTER INDEX {schema}.{temporary} RENAME TO {}", new.name);
        self.step(Phase::DropDependants, Block::AfterIndexes, Class::Safe, format!("{why} (the new one takes the old name)"), rename);
        let comment = new.prop(Prop::Comment);
        if !comment.is_empty() {
            let sql = format!("COMMENT ON INDEX {schema}.{} IS {}", new.name, quote_literal(comment));
            self.step(Phase::Dependants, Block::AfterIndexes, Class::Safe, format!("{} / comment", new.path()), sql);
        }
        true
    }

    pub(super) fn create_policy(&mut self, policy: &Object, why: &str) {
        let mut sql = format!(
            "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
            policy.name,
            policy.parent_name(),
            policy.prop(Prop::Mode).to_uppercase(),
            policy_command(policy.prop(Prop::Command)),
            policy.prop(Prop::Roles)
        );
        for (p, clause) in [(Prop::Using, "USING"), (Prop::WithCheck, "WITH CHECK")] {
            if !policy.prop(p).is_empty() {
                sql.push_str(&format!(" {clause} ({})", policy.prop(p)));
            }
        }
        self.step(Phase::Dependants, Block::Main, Class::NeedsConfirm, why, sql);
    }

    /// `COMMENT ON` when the comment differs from `old`'s (None: a new object).
    pub(super) fn set_comment(&mut self, object: &Object, old: Option<&Object>, phase: Phase) {
        let (now, was) = (object.prop(Prop::Comment), old.map(|o| o.prop(Prop::Comment)).unwrap_or(""));
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
}
