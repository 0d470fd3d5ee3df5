//! What the chain has built so far, as far as the hazard rules need it: each table's columns
//! and their types, and the validated `CHECK (col IS NOT NULL)` constraints — kept up to date
//! statement by statement. Pure.

use std::collections::{BTreeMap, BTreeSet};

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ConstrType, ObjectType, RangeVar, TypeName};

/// A table as `schema.name` (an unqualified name is in `public`).
pub fn table_key(relation: &RangeVar) -> String {
    let schema = if relation.schemaname.is_empty() { "public" } else { relation.schemaname.as_str() };
    format!("{schema}.{}", relation.relname)
}

/// `schema.table` renamed to `new_name` (a rename keeps the schema).
pub fn renamed_table(table: &str, new_name: &str) -> String {
    let schema = table.split_once('.').map_or("public", |(s, _)| s);
    format!("{schema}.{new_name}")
}

/// A type as the rules compare it: its last name part (`int4`, `varchar`, `text`, …) and its
/// modifiers (`varchar(20)` → `[20]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnType {
    /// The type's name, e.g. `int4`.
    pub name: String,
    /// Its modifiers, e.g. the length of a varchar.
    pub modifiers: Vec<i64>,
    /// Whether it is an array.
    pub array: bool,
}

impl ColumnType {
    /// Reads a parsed type name.
    pub fn of(type_name: &TypeName) -> ColumnType {
        let name = type_name
            .names
            .iter()
            .filter_map(|n| match &n.node {
                Some(NodeEnum::String(s)) => Some(s.sval.to_lowercase()),
                _ => None,
            })
            .next_back()
            .unwrap_or_default();
        let name = match name.as_str() {
            "integer" | "int" => "int4".into(),
            "smallint" => "int2".into(),
            "bigint" => "int8".into(),
            "character varying" => "varchar".into(),
            "decimal" => "numeric".into(),
            _ => name,
        };
        let modifiers = type_name
            .typmods
            .iter()
            .filter_map(|m| match &m.node {
                Some(NodeEnum::AConst(c)) => match &c.val {
                    Some(pg_query::protobuf::a_const::Val::Ival(i)) => Some(i64::from(i.ival)),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        ColumnType { name, modifiers, array: !type_name.array_bounds.is_empty() }
    }

    /// Whether changing a column from `self` to `to` is `timestamp` ↔ `timestamptz` with a
    /// precision kept or widened: PostgreSQL 12+ rewrites nothing when the session's TimeZone is
    /// UTC (the stored values are the same), and rewrites the table otherwise.
    pub fn relabels_in_utc(&self, to: &ColumnType) -> bool {
        let timestamps = matches!((self.name.as_str(), to.name.as_str()), ("timestamp", "timestamptz") | ("timestamptz", "timestamp"));
        let precision_kept = to.modifiers.is_empty() || (!self.modifiers.is_empty() && to.modifiers[0] >= self.modifiers[0]);
        timestamps && self.array == to.array && precision_kept
    }

    /// Whether changing a column from `self` to `to` leaves the table's rows as they are (no
    /// rewrite, no scan): a longer or unbounded varchar, varchar to text, more numeric precision.
    pub fn widens_to(&self, to: &ColumnType) -> bool {
        if self.array != to.array {
            return false;
        }
        let unbounded_or_longer = to.modifiers.is_empty() || (!self.modifiers.is_empty() && to.modifiers[0] >= self.modifiers[0]);
        match (self.name.as_str(), to.name.as_str()) {
            (a, b) if a == b && self.modifiers == to.modifiers => true,
            ("varchar", "varchar") => unbounded_or_longer,
            ("varchar" | "text", "text") => true,
            ("text", "varchar") => to.modifiers.is_empty(),
            ("numeric", "numeric") => {
                to.modifiers.is_empty()
                    || (self.modifiers.len() == 2
                        && to.modifiers.len() == 2
                        && to.modifiers[1] == self.modifiers[1]
                        && to.modifiers[0] >= self.modifiers[0])
            }
            ("cidr", "inet") => true,
            _ => false,
        }
    }
}

/// The chain's tables as far as the rules know them.
#[derive(Debug, Clone, Default)]
pub struct Model {
    tables: BTreeMap<String, BTreeMap<String, ColumnType>>,
    /// `(table, column)` pairs with a validated `CHECK (column IS NOT NULL)`.
    not_null_checks: BTreeSet<(String, String)>,
    /// Unvalidated `CHECK (column IS NOT NULL)` constraints by `(table, constraint name)`.
    pending_checks: BTreeMap<(String, String), String>,
}

impl Model {
    /// The type of `table.column`, when the chain created it.
    pub fn column_type(&self, table: &str, column: &str) -> Option<&ColumnType> {
        self.tables.get(table)?.get(column)
    }

    /// Whether a validated `CHECK (column IS NOT NULL)` is in place.
    pub fn has_not_null_check(&self, table: &str, column: &str) -> bool {
        self.not_null_checks.contains(&(table.to_string(), column.to_string()))
    }

    /// Brings the model past one statement.
    pub fn apply(&mut self, node: &NodeEnum) {
        match node {
            NodeEnum::CreateStmt(create) => {
                let Some(relation) = &create.relation else { return };
                let columns = create
                    .table_elts
                    .iter()
                    .filter_map(|e| match &e.node {
                        Some(NodeEnum::ColumnDef(c)) => c.type_name.as_ref().map(|t| (c.colname.clone(), ColumnType::of(t))),
                        _ => None,
                    })
                    .collect();
                self.tables.insert(table_key(relation), columns);
            }
            NodeEnum::AlterTableStmt(alter) => {
                let Some(relation) = &alter.relation else { return };
                let table = table_key(relation);
                for cmd in &alter.cmds {
                    if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
                        self.apply_alter(&table, cmd);
                    }
                }
            }
            NodeEnum::RenameStmt(rename) => {
                let Some(relation) = &rename.relation else { return };
                let table = table_key(relation);
                if rename.rename_type == ObjectType::ObjectTable as i32 {
                    self.move_table(&table, renamed_table(&table, &rename.newname));
                } else if rename.rename_type == ObjectType::ObjectColumn as i32 {
                    if let Some(kind) = self.tables.get_mut(&table).and_then(|c| c.remove(&rename.subname)) {
                        self.tables.entry(table).or_default().insert(rename.newname.clone(), kind);
                    }
                }
            }
            NodeEnum::AlterObjectSchemaStmt(moved) if moved.object_type == ObjectType::ObjectTable as i32 => {
                let Some(relation) = &moved.relation else { return };
                let table = table_key(relation);
                self.move_table(&table, format!("{}.{}", moved.newschema, relation.relname));
            }
            NodeEnum::DropStmt(drop) if drop.remove_type == ObjectType::ObjectTable as i32 => {
                for name in drop.objects.iter().filter_map(object_name) {
                    self.tables.remove(&name);
                }
            }
            _ => {}
        }
    }

    /// A table renamed or moved to another schema keeps what is known of it.
    fn move_table(&mut self, from: &str, to: String) {
        if let Some(columns) = self.tables.remove(from) {
            self.tables.insert(to.clone(), columns);
        }
        let moved = |(table, name): (String, String)| if table == from { (to.clone(), name) } else { (table, name) };
        self.not_null_checks = std::mem::take(&mut self.not_null_checks).into_iter().map(moved).collect();
        self.pending_checks = std::mem::take(&mut self.pending_checks).into_iter().map(|(key, column)| (moved(key), column)).collect();
    }

    fn apply_alter(&mut self, table: &str, cmd: &pg_query::protobuf::AlterTableCmd) {
        let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
        match (AlterTableType::try_from(cmd.subtype), def) {
            (Ok(AlterTableType::AtAddColumn), Some(NodeEnum::ColumnDef(c))) => {
                if let Some(t) = &c.type_name {
                    self.tables.entry(table.to_string()).or_default().insert(c.colname.clone(), ColumnType::of(t));
                }
            }
            (Ok(AlterTableType::AtAlterColumnType), Some(NodeEnum::ColumnDef(c))) => {
                if let Some(t) = &c.type_name {
                    self.tables.entry(table.to_string()).or_default().insert(cmd.name.clone(), ColumnType::of(t));
                }
            }
            (Ok(AlterTableType::AtDropColumn), _) => {
                if let Some(columns) = self.tables.get_mut(table) {
                    columns.remove(&cmd.name);
                }
            }
            (Ok(AlterTableType::AtAddConstraint), Some(NodeEnum::Constraint(c))) if c.contype == ConstrType::ConstrCheck as i32 => {
                if let Some(column) = c.raw_expr.as_deref().and_then(is_not_null_of) {
                    if c.skip_validation {
                        self.pending_checks.insert((table.to_string(), c.conname.clone()), column);
                    } else {
                        self.not_null_checks.insert((table.to_string(), column));
                    }
                }
            }
            (Ok(AlterTableType::AtValidateConstraint), _) => {
                if let Some(column) = self.pending_checks.remove(&(table.to_string(), cmd.name.clone())) {
                    self.not_null_checks.insert((table.to_string(), column));
                }
            }
            _ => {}
        }
    }
}

/// `schema.table` of a dropped object's name list.
pub fn object_name(node: &pg_query::Node) -> Option<String> {
    let Some(NodeEnum::List(list)) = &node.node else { return None };
    let parts: Vec<&str> = list
        .items
        .iter()
        .filter_map(|i| match &i.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect();
    match parts.as_slice() {
        [name] => Some(format!("public.{name}")),
        [schema, name] => Some(format!("{schema}.{name}")),
        _ => None,
    }
}

/// The column of a `col IS NOT NULL` expression.
fn is_not_null_of(expr: &pg_query::Node) -> Option<String> {
    let Some(NodeEnum::NullTest(test)) = &expr.node else { return None };
    if test.nulltesttype != pg_query::protobuf::NullTestType::IsNotNull as i32 {
        return None;
    }
    match test.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::ColumnRef(c)) => match c.fields.last().and_then(|f| f.node.as_ref()) {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        },
        _ => None,
    }
}
