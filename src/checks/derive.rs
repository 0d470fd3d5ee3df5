//! The checks a migration's up statements imply — the rows that would make each one fail (or
//! be lost) — read from the parse tree, and the checks a file declares in comments dbmate
//! ignores (`-- squashmate:check NAME: SQL returning the offending rows`). Pure: what to ask a
//! database, not the asking.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ConstrType, ObjectType, RangeVar};
use regex::Regex;

use crate::migration::{MigrationFile, allow_comments};
use crate::sql::quote_ident_if_needed;

/// `-- squashmate:check NAME: SQL`
static DECLARED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*--[ \t]*squashmate:check[ \t]+([A-Za-z0-9_.-]+)[ \t]*:[ \t]*(.+?)[ \t]*$").expect("static regex")
});

/// What a check guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// `SET NOT NULL`, or a new `NOT NULL` column without a default: rows with NULL (or any row).
    NotNull,
    /// `UNIQUE`, `PRIMARY KEY`, `CREATE UNIQUE INDEX`: duplicated values (and NULLs for a key).
    Unique,
    /// `CHECK`: rows the expression is false for.
    Check,
    /// `FOREIGN KEY`: rows pointing at nothing.
    ForeignKey,
    /// `VALIDATE CONSTRAINT`: what its definition (read from the database) rejects.
    Validate,
    /// `ALTER COLUMN … TYPE`: values that do not convert.
    TypeChange,
    /// `DROP TABLE` / `DROP COLUMN`: rows (values) that would be lost.
    DataLoss,
    /// A `-- squashmate:check` comment.
    Declared,
}

/// How to find the offending rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "probe", rename_all = "kebab-case")]
pub enum Probe {
    /// Rows of `table` (as SQL, aliased `t`) where `condition` holds, shown by their key.
    Rows {
        /// The table, as the statement names it.
        table: String,
        /// SQL over `t`.
        condition: String,
    },
    /// Values of `columns` of `table` that appear more than once (or are NULL, for a key).
    Duplicates {
        /// The table.
        table: String,
        /// The key's columns, quoted, or its expressions, in parentheses.
        columns: Vec<String>,
        /// What a NULL in the key means.
        nulls: NullKeys,
        /// The rows a partial unique index covers (its `WHERE`), as SQL over the table.
        rows: Option<String>,
    },
    /// Rows of `table` whose `columns` match no row of `referenced` (by its `keys`, or by its
    /// primary key when the statement names none); under `MATCH FULL` also rows with some but
    /// not all of them NULL.
    ForeignKey {
        /// The referencing table.
        table: String,
        /// Its columns, quoted.
        columns: Vec<String>,
        /// The referenced table.
        referenced: String,
        /// The referenced columns, quoted; `None` for its primary key.
        keys: Option<Vec<String>>,
        /// `MATCH FULL`.
        full: bool,
    },
    /// Every row of `table`, which a new NOT NULL column of `type_sql` without a default leaves
    /// NULL — none when that type is a domain with a default of its own (the rows get it).
    NewColumn {
        /// The table.
        table: String,
        /// The column's type, as SQL.
        type_sql: String,
    },
    /// The constraint `name` of `table` as the database defines it, checked as if added now.
    Constraint {
        /// The table.
        table: String,
        /// The constraint.
        name: String,
    },
    /// Rows of `table` whose `value` does not convert to `type_sql`: `pg_input_is_valid` on
    /// PostgreSQL 16 and later when the value is text, otherwise the conversion itself, tried
    /// over the whole table and then, when it fails, block range by block range to find the rows.
    Cast {
        /// The table.
        table: String,
        /// What is converted, as SQL over `t`: the column, or what its `USING` casts (or is).
        value: String,
        /// The new type, as SQL.
        type_sql: String,
        /// Whether `value` is cast to it explicitly (a `USING x::type`, which truncates a too
        /// long string) or assigned (which refuses one).
        explicit: bool,
    },
    /// A query returning the offending rows (a declared check).
    Query {
        /// The SQL.
        sql: String,
    },
}

/// How a unique constraint treats a key with a NULL in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NullKeys {
    /// `UNIQUE`: NULLs are distinct from each other, so such keys never collide.
    Distinct,
    /// `UNIQUE NULLS NOT DISTINCT`: two such keys with NULLs in the same places collide.
    NotDistinct,
    /// `PRIMARY KEY`: a NULL is itself an offence.
    Offend,
}

/// One check, located at the statement it guards (or its comment).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// Its name: declared, or `kind:table.column` for a derived one.
    pub name: String,
    /// What it guards.
    pub kind: CheckKind,
    /// Byte offset of the statement (or comment) in the file.
    pub offset: usize,
    /// What it finds, in words ("rows where public.t.c is NULL").
    pub finds: String,
    /// How.
    pub probe: Probe,
    /// Whether its answer before the file runs is the answer at its statement: false when an
    /// earlier statement of the file writes rows or calls code (a backfill), so only running the
    /// file can tell.
    pub before_the_file: bool,
}

/// What a statement with a derived check (or a declared check) must contain — `ALTER TABLE`,
/// `DROP TABLE`, `UNIQUE INDEX` or the comment: a cheap test on a file not parsed yet, so the
/// apply that overlaps parsing with the first file keeps doing so for files without checks.
static MAY_CHECK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(alter\s+table|drop\s+table|unique\s+index|squashmate:check)\b").expect("static regex"));

/// Whether `text` may have checks (false: it surely has none).
pub fn may_have_checks(text: &str) -> bool {
    MAY_CHECK.is_match(text)
}

/// What earlier statements (of the file, or of pending files before it) defined and a later
/// `VALIDATE CONSTRAINT` checks: each constraint added `NOT VALID`, by table and name, as the
/// probe it is checked by. Without it a validation would be checked by the definition the
/// database has now — an older one, when the migration before it replaced the constraint.
#[derive(Debug, Clone, Default)]
pub struct Defined {
    constraints: BTreeMap<(String, String), Probe>,
}

impl Defined {
    /// Notes what `node` adds `NOT VALID` or drops.
    fn note(&mut self, node: &NodeEnum) {
        let NodeEnum::AlterTableStmt(alter) = node else { return };
        let Some(relation) = &alter.relation else { return };
        let table = table_sql(relation);
        for cmd in alter.cmds.iter().filter_map(|c| match &c.node {
            Some(NodeEnum::AlterTableCmd(cmd)) => Some(cmd),
            _ => None,
        }) {
            match (AlterTableType::try_from(cmd.subtype), cmd.def.as_ref().and_then(|d| d.node.as_ref())) {
                (Ok(AlterTableType::AtAddConstraint), Some(NodeEnum::Constraint(constraint))) if constraint.skip_validation => {
                    let valid = pg_query::protobuf::Constraint { skip_validation: false, ..(**constraint).clone() };
                    if let Some((_, _, _, probe)) = constraint_checks(&table, &valid).into_iter().next() {
                        self.constraints.insert((table.clone(), constraint.conname.clone()), probe);
                    }
                }
                (Ok(AlterTableType::AtDropConstraint), _) => {
                    self.constraints.remove(&(table.clone(), cmd.name.clone()));
                }
                _ => {}
            }
        }
    }
}

/// Every check of `file`'s up blocks, in file order: the declared ones and the derived ones.
/// A statement on a table the file itself creates has no derived check (it has no rows yet).
pub fn checks(file: &MigrationFile) -> Vec<Check> {
    checks_after(file, &mut Defined::default())
}

/// [`checks`] of a file that runs after what `defined` holds (pending files before it); notes
/// what this one defines.
pub fn checks_after(file: &MigrationFile, defined: &mut Defined) -> Vec<Check> {
    let text = file.source.text();
    let mut out = Vec::new();
    let mut created: BTreeSet<String> = BTreeSet::new();
    let mut writes_before = false;
    for section in &file.sections {
        for caps in DECLARED.captures_iter(&text[section.up.body.clone()]) {
            let whole = caps.get(0).expect("a match");
            let sql = caps[2].trim_end_matches(';').to_string();
            out.push(Check {
                name: caps[1].to_string(),
                kind: CheckKind::Declared,
                offset: section.up.body.start + whole.start() + whole.as_str().find("--").unwrap_or(0),
                finds: format!("the rows of: {sql}"),
                probe: Probe::Query { sql },
                before_the_file: true,
            });
        }
        for statement in &section.up.statements {
            let Ok(parsed) = pg_query::parse(&text[statement.span.clone()], 0) else { continue };
            // Losing the rows may be the point: `-- squashmate:allow data-loss reason` says so.
            let loss_allowed = allow_comments(text, statement.span.start).iter().any(|(rule, _)| rule == "data-loss");
            for node in parsed.protobuf.stmts.iter().filter_map(|s| s.stmt.as_ref().and_then(|n| n.node.as_ref())) {
                for (kind, name, finds, probe) in
                    derived(node, &created).into_iter().filter(|d| !(loss_allowed && d.0 == CheckKind::DataLoss))
                {
                    let probe = match probe {
                        Probe::Constraint { table, name } => {
                            defined.constraints.get(&(table.clone(), name.clone())).cloned().unwrap_or(Probe::Constraint { table, name })
                        }
                        other => other,
                    };
                    out.push(Check { name, kind, offset: statement.span.start, finds, probe, before_the_file: !writes_before });
                }
                defined.note(node);
                if let NodeEnum::CreateStmt(create) = node {
                    created.extend(create.relation.as_ref().map(table_sql));
                }
                writes_before |= writes_rows(node);
            }
        }
    }
    out.sort_by_key(|c| c.offset);
    out
}

/// Whether a statement may change rows (or run code that does): what makes a later check's
/// answer depend on the file having run so far.
fn writes_rows(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::MergeStmt(_)
            | NodeEnum::CopyStmt(_)
            | NodeEnum::DoStmt(_)
            | NodeEnum::CallStmt(_)
            | NodeEnum::SelectStmt(_)
            | NodeEnum::TruncateStmt(_)
    )
}

type Derived = (CheckKind, String, String, Probe);

/// A table as its statement names it, quoted (`schema.table` or `table`).
fn table_sql(relation: &RangeVar) -> String {
    if relation.schemaname.is_empty() {
        quote_ident_if_needed(&relation.relname)
    } else {
        format!("{}.{}", quote_ident_if_needed(&relation.schemaname), quote_ident_if_needed(&relation.relname))
    }
}

fn strings(nodes: &[pg_query::protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

/// SQL text of an expression node (deparsed as `SELECT expr`).
fn expression_sql(expr: &pg_query::protobuf::Node) -> Option<String> {
    let mut select = pg_query::parse("SELECT 1", 0).ok()?.protobuf;
    let Some(NodeEnum::SelectStmt(statement)) = select.stmts.first_mut()?.stmt.as_mut()?.node.as_mut() else { return None };
    let Some(NodeEnum::ResTarget(target)) = statement.target_list.first_mut()?.node.as_mut() else { return None };
    target.val = Some(Box::new(expr.clone()));
    let sql = pg_query::deparse(&select, pg_query::DeparseOptions::default()).ok()?;
    sql.strip_prefix("SELECT ").map(str::to_string)
}

/// The derived checks of one statement; `created`: tables the file made before it.
fn derived(node: &NodeEnum, created: &BTreeSet<String>) -> Vec<Derived> {
    match node {
        NodeEnum::AlterTableStmt(alter) if alter.objtype == ObjectType::ObjectTable as i32 => {
            let Some(relation) = &alter.relation else { return Vec::new() };
            let table = table_sql(relation);
            if created.contains(&table) {
                return Vec::new();
            }
            alter
                .cmds
                .iter()
                .filter_map(|c| match &c.node {
                    Some(NodeEnum::AlterTableCmd(cmd)) => Some(cmd),
                    _ => None,
                })
                .flat_map(|cmd| alter_checks(&table, cmd))
                .collect()
        }
        NodeEnum::IndexStmt(index) if index.unique => {
            let Some(relation) = &index.relation else { return Vec::new() };
            let table = table_sql(relation);
            // A collation or operator class of its own may change what equal means: not asked.
            let columns: Vec<String> = index
                .index_params
                .iter()
                .filter_map(|p| match &p.node {
                    Some(NodeEnum::IndexElem(e)) if !e.collation.is_empty() || !e.opclass.is_empty() => None,
                    Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Some(quote_ident_if_needed(&e.name)),
                    Some(NodeEnum::IndexElem(e)) => e.expr.as_deref().and_then(expression_sql).map(|sql| format!("({sql})")),
                    _ => None,
                })
                .collect();
            let rows = match index.where_clause.as_deref() {
                Some(predicate) => match expression_sql(predicate) {
                    Some(sql) => Some(sql),
                    None => return Vec::new(),
                },
                None => None,
            };
            if created.contains(&table) || columns.len() != index.index_params.len() {
                return Vec::new();
            }
            let nulls = if index.nulls_not_distinct { NullKeys::NotDistinct } else { NullKeys::Distinct };
            vec![unique(&table, columns, nulls, rows)]
        }
        NodeEnum::DropStmt(drop) if drop.remove_type == ObjectType::ObjectTable as i32 => drop
            .objects
            .iter()
            .filter_map(|o| match &o.node {
                Some(NodeEnum::List(list)) => Some(strings(&list.items)),
                _ => None,
            })
            .map(|parts| parts.iter().map(|p| quote_ident_if_needed(p)).collect::<Vec<_>>().join("."))
            .filter(|table| !created.contains(table))
            .map(|table| {
                (
                    CheckKind::DataLoss,
                    format!("rows-lost:{table}"),
                    format!("rows of {table}, which DROP TABLE would lose"),
                    Probe::Rows { table, condition: "true".into() },
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The probe of a constraint as the database defines it (`pg_get_constraintdef`), checked as
/// if it were added valid now (what `VALIDATE CONSTRAINT` does).
pub fn constraint_probe(table: &str, definition: &str) -> Option<Probe> {
    let definition = definition.trim().trim_end_matches("NOT VALID").trim_end();
    let parsed = pg_query::parse(&format!("ALTER TABLE {table} ADD CONSTRAINT squashmate_probe {definition}"), 0).ok()?;
    let node = parsed.protobuf.stmts.first()?.stmt.as_ref()?.node.as_ref()?;
    derived(node, &BTreeSet::new()).into_iter().next().map(|(_, _, _, probe)| probe)
}

/// For an `ALTER TABLE … ADD CONSTRAINT name CHECK (…) NOT VALID` statement: its table, the
/// constraint's name and the query for the rows its validation will reject — so a migration
/// that replaces a CHECK can check them before it changes anything.
pub fn rows_a_new_check_rejects(statement: &str) -> Option<(String, String, String)> {
    let parsed = pg_query::parse(statement, 0).ok()?;
    let Some(NodeEnum::AlterTableStmt(alter)) = parsed.protobuf.stmts.first()?.stmt.as_ref()?.node.as_ref() else { return None };
    let table = table_sql(alter.relation.as_ref()?);
    alter.cmds.iter().find_map(|c| {
        let Some(NodeEnum::AlterTableCmd(cmd)) = &c.node else { return None };
        let Some(NodeEnum::Constraint(constraint)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else { return None };
        let check = constraint.contype == ConstrType::ConstrCheck as i32;
        if cmd.subtype != AlterTableType::AtAddConstraint as i32 || !check || !constraint.skip_validation || constraint.conname.is_empty() {
            return None;
        }
        let valid = pg_query::protobuf::Constraint { skip_validation: false, ..(**constraint).clone() };
        match constraint_checks(&table, &valid).into_iter().next() {
            Some((_, _, _, Probe::Rows { table, condition })) => {
                Some((table.clone(), constraint.conname.clone(), format!("SELECT t.* FROM {table} AS t WHERE {condition}")))
            }
            _ => None,
        }
    })
}

fn unique(table: &str, columns: Vec<String>, nulls: NullKeys, rows: Option<String>) -> Derived {
    let list = columns.join(", ");
    let finds = format!(
        "values of {table} ({list}) that appear more than once{}{}",
        rows.as_ref().map(|r| format!(" among rows where {r}")).unwrap_or_default(),
        if nulls == NullKeys::Offend { ", or NULLs" } else { "" }
    );
    (CheckKind::Unique, format!("unique:{table}({list})"), finds, Probe::Duplicates { table: table.into(), columns, nulls, rows })
}

fn alter_checks(table: &str, cmd: &pg_query::protobuf::AlterTableCmd) -> Vec<Derived> {
    let column = quote_ident_if_needed(&cmd.name);
    let subtype = AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined);
    match subtype {
        AlterTableType::AtSetNotNull => vec![(
            CheckKind::NotNull,
            format!("not-null:{table}.{column}"),
            format!("rows where {table}.{column} is NULL"),
            Probe::Rows { table: table.into(), condition: format!("t.{column} IS NULL") },
        )],
        AlterTableType::AtAddColumn => match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
            Some(NodeEnum::ColumnDef(def)) => new_column_checks(table, def),
            _ => Vec::new(),
        },
        AlterTableType::AtAddConstraint => match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
            Some(NodeEnum::Constraint(constraint)) => constraint_checks(table, constraint),
            _ => Vec::new(),
        },
        AlterTableType::AtValidateConstraint => vec![(
            CheckKind::Validate,
            format!("validate:{table}.{}", quote_ident_if_needed(&cmd.name)),
            format!("rows of {table} that constraint {} rejects", quote_ident_if_needed(&cmd.name)),
            Probe::Constraint { table: table.into(), name: cmd.name.clone() },
        )],
        AlterTableType::AtAlterColumnType => type_checks(table, &column, cmd),
        AlterTableType::AtDropColumn => vec![(
            CheckKind::DataLoss,
            format!("values-lost:{table}.{column}"),
            format!("non-NULL values of {table}.{column}, which DROP COLUMN would lose"),
            Probe::Rows { table: table.into(), condition: format!("t.{column} IS NOT NULL") },
        )],
        _ => Vec::new(),
    }
}

/// The serial pseudo-types: a column of one gets a sequence's next value as its default.
const SERIALS: &[&str] = &["serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"];

/// `ADD COLUMN`: a NOT NULL (or primary key) column without a default leaves every existing row
/// NULL; a key column whose default is one constant gives every row the same value.
fn new_column_checks(table: &str, def: &pg_query::protobuf::ColumnDef) -> Vec<Derived> {
    let constraints: Vec<&pg_query::protobuf::Constraint> = def
        .constraints
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::Constraint(k)) => Some(k.as_ref()),
            _ => None,
        })
        .collect();
    let has = |kind: ConstrType| constraints.iter().any(|c| c.contype == kind as i32);
    let serial = def.type_name.as_ref().and_then(|t| strings(&t.names).last().cloned()).is_some_and(|n| SERIALS.contains(&n.as_str()));
    if serial || has(ConstrType::ConstrGenerated) || has(ConstrType::ConstrIdentity) {
        return Vec::new();
    }
    let default = def
        .raw_default
        .as_deref()
        .or_else(|| constraints.iter().find(|c| c.contype == ConstrType::ConstrDefault as i32).and_then(|c| c.raw_expr.as_deref()));
    let column = quote_ident_if_needed(&def.colname);
    let not_null = has(ConstrType::ConstrNotnull) || has(ConstrType::ConstrPrimary);
    let key = has(ConstrType::ConstrPrimary) || has(ConstrType::ConstrUnique);
    match default.map(constant) {
        None | Some(Some(Constant::Null)) if not_null => vec![(
            CheckKind::NotNull,
            format!("not-null:{table}.{column}"),
            format!("rows of {table}, which the new NOT NULL column {column} without a default would leave NULL"),
            match def.type_name.as_ref().and_then(type_name_sql) {
                Some(type_sql) => Probe::NewColumn { table: table.into(), type_sql },
                None => Probe::Rows { table: table.into(), condition: "true".into() },
            },
        )],
        Some(Some(Constant::Value)) if key => vec![(
            CheckKind::Unique,
            format!("unique:{table}({column})"),
            format!("rows of {table} after the first, to which the new key column {column} would give its default again"),
            Probe::Query { sql: format!("SELECT t.ctid FROM {table} AS t OFFSET 1") },
        )],
        _ => Vec::new(),
    }
}

/// A default that is one constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Constant {
    Null,
    Value,
}

/// Whether `expr` is a constant (perhaps cast), and which kind: `None` when it is computed.
fn constant(expr: &pg_query::protobuf::Node) -> Option<Constant> {
    match &expr.node {
        Some(NodeEnum::AConst(c)) => Some(if c.isnull { Constant::Null } else { Constant::Value }),
        Some(NodeEnum::TypeCast(cast)) => cast.arg.as_deref().and_then(constant),
        _ => None,
    }
}

/// `ADD CONSTRAINT`: unique and primary keys, CHECKs and foreign keys added valid (a `NOT
/// VALID` one checks no existing row).
fn constraint_checks(table: &str, constraint: &pg_query::protobuf::Constraint) -> Vec<Derived> {
    let kind = ConstrType::try_from(constraint.contype).unwrap_or(ConstrType::Undefined);
    let columns = |nodes: &[pg_query::protobuf::Node]| strings(nodes).iter().map(|c| quote_ident_if_needed(c)).collect::<Vec<_>>();
    match kind {
        ConstrType::ConstrUnique | ConstrType::ConstrPrimary if constraint.indexname.is_empty() => {
            let nulls = match (kind, constraint.nulls_not_distinct) {
                (ConstrType::ConstrPrimary, _) => NullKeys::Offend,
                (_, true) => NullKeys::NotDistinct,
                (_, false) => NullKeys::Distinct,
            };
            vec![unique(table, columns(&constraint.keys), nulls, None)]
        }
        ConstrType::ConstrCheck if !constraint.skip_validation => {
            let Some(expr) = constraint.raw_expr.as_deref().and_then(expression_sql) else { return Vec::new() };
            let name = if constraint.conname.is_empty() { table.to_string() } else { quote_ident_if_needed(&constraint.conname) };
            vec![(
                CheckKind::Check,
                format!("check:{name}"),
                format!("rows of {table} for which CHECK ({expr}) is false"),
                // The expression names the table's columns unqualified: the rows are `t`'s.
                Probe::Rows { table: table.into(), condition: format!("NOT ({expr})") },
            )]
        }
        ConstrType::ConstrForeign if !constraint.skip_validation => {
            let Some(referenced) = &constraint.pktable else { return Vec::new() };
            let (from, to) = (columns(&constraint.fk_attrs), columns(&constraint.pk_attrs));
            if from.is_empty() || !(to.is_empty() || to.len() == from.len()) {
                return Vec::new();
            }
            let referenced = table_sql(referenced);
            let full = constraint.fk_matchtype == "f";
            vec![(
                CheckKind::ForeignKey,
                format!("foreign-key:{table}({})", from.join(", ")),
                format!(
                    "rows of {table} whose ({}) match no row of {referenced}{}",
                    from.join(", "),
                    if full { ", or have some but not all of them NULL (MATCH FULL)" } else { "" }
                ),
                Probe::ForeignKey {
                    table: table.into(),
                    columns: from,
                    referenced,
                    keys: if to.is_empty() { None } else { Some(to) },
                    full,
                },
            )]
        }
        _ => Vec::new(),
    }
}

/// The rows of `t` a foreign key from `columns` to `keys` of `referenced` (as `r`) rejects:
/// a full key that matches nothing — and under `MATCH FULL` a key part NULL, part not.
pub(super) fn foreign_key_condition(columns: &[String], referenced: &str, keys: &[String], full: bool) -> String {
    let present: Vec<String> = columns.iter().map(|c| format!("t.{c} IS NOT NULL")).collect();
    let matches: Vec<String> = columns.iter().zip(keys).map(|(c, k)| format!("r.{k} = t.{c}")).collect();
    let unmatched = format!("{} AND NOT EXISTS (SELECT 1 FROM {referenced} AS r WHERE {})", present.join(" AND "), matches.join(" AND "));
    if !full || columns.len() < 2 {
        return unmatched;
    }
    let absent: Vec<String> = columns.iter().map(|c| format!("t.{c} IS NULL")).collect();
    format!("({unmatched}) OR (({}) AND NOT ({}))", absent.join(" OR "), absent.join(" AND "))
}

/// `ALTER COLUMN … TYPE`: the rows whose value does not convert to the new type — the
/// column's own, or what its `USING` gives (a `USING x::newtype` converts `x`).
fn type_checks(table: &str, column: &str, cmd: &pg_query::protobuf::AlterTableCmd) -> Vec<Derived> {
    let Some(NodeEnum::ColumnDef(def)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else { return Vec::new() };
    let Some(type_name) = &def.type_name else { return Vec::new() };
    let Some(type_sql) = type_name_sql(type_name) else { return Vec::new() };
    let (value, explicit, how) = match def.raw_default.as_deref() {
        None => (format!("t.{column}"), false, String::new()),
        Some(using) => {
            let (converted, explicit) = match &using.node {
                Some(NodeEnum::TypeCast(cast)) if cast.type_name.as_ref().and_then(type_name_sql).as_deref() == Some(&type_sql) => {
                    (cast.arg.as_deref(), true)
                }
                _ => (Some(using), false),
            };
            let Some(value) = converted.and_then(expression_sql) else { return Vec::new() };
            let plain = value == column || value == cmd.name;
            let how = if plain { String::new() } else { format!(" (USING {})", expression_sql(using).unwrap_or_default()) };
            (if plain { format!("t.{column}") } else { value }, explicit, how)
        }
    };
    vec![(
        CheckKind::TypeChange,
        format!("type:{table}.{column}"),
        format!("rows of {table} whose {column}{how} is not a valid {type_sql}"),
        Probe::Cast { table: table.into(), value, type_sql, explicit },
    )]
}

/// A type name as SQL (deparsed from a cast of NULL to it).
fn type_name_sql(type_name: &pg_query::protobuf::TypeName) -> Option<String> {
    let null = pg_query::protobuf::Node { node: Some(NodeEnum::AConst(pg_query::protobuf::AConst { isnull: true, ..Default::default() })) };
    let cast = pg_query::protobuf::TypeCast { arg: Some(Box::new(null)), type_name: Some(type_name.clone()), location: -1 };
    let deparsed = expression_sql(&pg_query::protobuf::Node { node: Some(NodeEnum::TypeCast(Box::new(cast))) })?;
    deparsed.split_once("::").map(|(_, ty)| ty.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks_of(up: &str) -> Vec<Check> {
        let file = MigrationFile::parse("20240101000000_t.sql", format!("-- migrate:up\n{up}\n-- migrate:down\n")).unwrap();
        checks(&file)
    }

    fn probes(up: &str) -> Vec<(CheckKind, String, Probe)> {
        checks_of(up).into_iter().map(|c| (c.kind, c.name, c.probe)).collect()
    }

    fn rows(table: &str, condition: &str) -> Probe {
        Probe::Rows { table: table.into(), condition: condition.into() }
    }

    #[test]
    fn each_statement_kind_gives_the_query_for_its_failing_rows() {
        assert_eq!(
            probes("ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;"),
            [(CheckKind::NotNull, "not-null:public.users.email".into(), rows("public.users", "t.email IS NULL"))]
        );
        assert_eq!(
            probes("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email, \"Org\");"),
            [(
                CheckKind::Unique,
                "unique:users(email, \"Org\")".into(),
                Probe::Duplicates {
                    table: "users".into(),
                    columns: vec!["email".into(), "\"Org\"".into()],
                    nulls: NullKeys::Distinct,
                    rows: None
                }
            )]
        );
        assert!(matches!(&probes("ALTER TABLE t ADD PRIMARY KEY (id);")[0].2, Probe::Duplicates { nulls: NullKeys::Offend, .. }));
        assert!(matches!(
            &probes("ALTER TABLE t ADD UNIQUE NULLS NOT DISTINCT (a);")[0].2,
            Probe::Duplicates { nulls: NullKeys::NotDistinct, .. }
        ));
        assert_eq!(
            probes("ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('a', 'b'));"),
            [(CheckKind::Check, "check:events_kind_check".into(), rows("events", "NOT (kind IN ('a', 'b'))"))]
        );
        assert_eq!(
            probes("ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);"),
            [(
                CheckKind::ForeignKey,
                "foreign-key:orders(customer_id)".into(),
                Probe::ForeignKey {
                    table: "orders".into(),
                    columns: vec!["customer_id".into()],
                    referenced: "customers".into(),
                    keys: Some(vec!["id".into()]),
                    full: false
                }
            )]
        );
        assert!(
            matches!(
                &probes("ALTER TABLE o ADD FOREIGN KEY (a, b) REFERENCES p MATCH FULL;")[0].2,
                Probe::ForeignKey { keys: None, full: true, .. }
            ),
            "the referenced primary key, found where the check runs"
        );
        assert_eq!(
            probes("ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;"),
            [(
                CheckKind::Validate,
                "validate:orders.orders_customer_fk".into(),
                Probe::Constraint { table: "orders".into(), name: "orders_customer_fk".into() }
            )]
        );
        assert_eq!(
            probes("ALTER TABLE t ALTER COLUMN n TYPE integer USING n::integer;"),
            [(
                CheckKind::TypeChange,
                "type:t.n".into(),
                Probe::Cast { table: "t".into(), value: "t.n".into(), type_sql: "int".into(), explicit: true }
            )]
        );
        let cast = |value: &str, type_sql: &str, explicit: bool| Probe::Cast {
            table: "t".into(),
            value: value.into(),
            type_sql: type_sql.into(),
            explicit,
        };
        assert_eq!(probes("ALTER TABLE t ALTER n TYPE varchar(2);")[0].2, cast("t.n", "varchar(2)", false), "assigned");
        assert_eq!(
            probes("ALTER TABLE t ALTER COLUMN n TYPE integer USING btrim(n)::integer;")[0].2,
            cast("btrim(n)", "int", true),
            "what the USING casts is what converts"
        );
        let [(_, _, finds, probe)] = &checks_of("ALTER TABLE t ALTER COLUMN n TYPE date USING to_date(n, 'YYYYMMDD');")
            .into_iter()
            .map(|c| (c.kind, c.name, c.finds, c.probe))
            .collect::<Vec<_>>()[..]
        else {
            panic!("one check")
        };
        assert_eq!(probe, &cast("to_date(n, 'YYYYMMDD')", "date", false), "another USING is the value itself, assigned");
        assert_eq!(finds, "rows of t whose n (USING to_date(n, 'YYYYMMDD')) is not a valid date");
        assert_eq!(probes("DROP TABLE legacy, public.old;").len(), 2);
        assert!(probes("-- squashmate:allow data-loss archived in s3://old\nDROP TABLE legacy;").is_empty());
        assert_eq!(
            probes("ALTER TABLE t DROP COLUMN note;"),
            [(CheckKind::DataLoss, "values-lost:t.note".into(), rows("t", "t.note IS NOT NULL"))]
        );
        assert_eq!(probes("CREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a);")[0].0, CheckKind::Unique);
        assert_eq!(
            probes("CREATE UNIQUE INDEX t_a ON t (lower(email), a) WHERE deleted_at IS NULL;")[0].2,
            Probe::Duplicates {
                table: "t".into(),
                columns: vec!["(lower(email))".into(), "a".into()],
                nulls: NullKeys::Distinct,
                rows: Some("deleted_at IS NULL".into())
            }
        );
        assert!(probes("CREATE UNIQUE INDEX t_a ON t (email COLLATE \"und-x-icu\");").is_empty(), "a collation of its own: not asked");
        assert!(probes("CREATE UNIQUE INDEX t_a ON t (email text_pattern_ops);").is_empty(), "an operator class of its own: not asked");
        assert_eq!(probes("ALTER TABLE t ADD COLUMN c int NOT NULL;")[0].2, Probe::NewColumn { table: "t".into(), type_sql: "int".into() });
        assert!(probes("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;").is_empty());
        assert!(matches!(&probes("ALTER TABLE t ADD COLUMN c int PRIMARY KEY DEFAULT NULL;")[0].2, Probe::NewColumn { .. }));
        for filled in [
            "serial PRIMARY KEY",
            "bigserial NOT NULL",
            "int GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            "uuid PRIMARY KEY DEFAULT gen_random_uuid()",
        ] {
            assert!(probes(&format!("ALTER TABLE t ADD COLUMN c {filled};")).is_empty(), "{filled}: every row gets its own value");
        }
        assert_eq!(
            probes("ALTER TABLE t ADD COLUMN c int UNIQUE DEFAULT 5;")[0].2,
            Probe::Query { sql: "SELECT t.ctid FROM t AS t OFFSET 1".into() },
            "one constant default under a key: a second row collides"
        );
        assert!(probes("ALTER TABLE t ADD COLUMN c int UNIQUE DEFAULT NULL;").is_empty(), "NULLs do not collide under UNIQUE");
    }

    #[test]
    fn a_foreign_key_rejects_unmatched_full_keys_and_under_match_full_half_null_ones() {
        let columns = ["a".to_string(), "b".to_string()];
        let keys = ["x".to_string(), "y".to_string()];
        let simple = "t.a IS NOT NULL AND t.b IS NOT NULL AND NOT EXISTS (SELECT 1 FROM p AS r WHERE r.x = t.a AND r.y = t.b)";
        assert_eq!(foreign_key_condition(&columns, "p", &keys, false), simple);
        assert_eq!(
            foreign_key_condition(&columns, "p", &keys, true),
            format!("({simple}) OR ((t.a IS NULL OR t.b IS NULL) AND NOT (t.a IS NULL AND t.b IS NULL))")
        );
        assert_eq!(
            foreign_key_condition(&columns[..1], "p", &keys[..1], true),
            foreign_key_condition(&columns[..1], "p", &keys[..1], false)
        );
    }

    #[test]
    fn a_validated_constraint_is_checked_by_its_definition() {
        assert_eq!(constraint_probe("o", "CHECK ((qty > 0)) NOT VALID"), Some(rows("o", "NOT (qty > 0)")));
        assert!(matches!(
            constraint_probe("o", "FOREIGN KEY (c) REFERENCES public.c(id) MATCH FULL NOT VALID"),
            Some(Probe::ForeignKey { referenced, full: true, .. }) if referenced == "public.c"
        ));
        assert_eq!(constraint_probe("o", "EXCLUDE USING gist (r WITH &&)"), None);
    }

    #[test]
    fn a_validation_is_checked_by_the_definition_an_earlier_statement_gave() {
        let replaced = "ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;\nALTER TABLE tasks ADD CONSTRAINT tasks_status_check CHECK (status IN ('todo', 'done')) NOT VALID;";
        let first = MigrationFile::parse("1_a.sql", format!("-- migrate:up\n{replaced}\n-- migrate:down\n")).unwrap();
        let second = MigrationFile::parse(
            "2_b.sql",
            "-- migrate:up\nALTER TABLE tasks VALIDATE CONSTRAINT tasks_status_check;\n-- migrate:down\n".into(),
        )
        .unwrap();
        let mut defined = Defined::default();
        assert!(checks_after(&first, &mut defined).is_empty());
        assert_eq!(checks_after(&second, &mut defined)[0].probe, rows("tasks", "NOT (status IN ('todo', 'done'))"));
        assert!(matches!(checks(&second)[0].probe, Probe::Constraint { .. }), "alone: the database's definition");
    }

    #[test]
    fn a_check_added_not_valid_gives_the_query_for_the_rows_its_validation_rejects() {
        let statement =
            "ALTER TABLE public.tasks ADD CONSTRAINT tasks_status_check CHECK (status = ANY(ARRAY['todo'::text, 'done'::text])) NOT VALID";
        let query = "SELECT t.* FROM public.tasks AS t WHERE NOT (status = ANY(ARRAY['todo'::text, 'done'::text]))";
        assert_eq!(rows_a_new_check_rejects(statement), Some(("public.tasks".into(), "tasks_status_check".into(), query.into())));
        assert_eq!(
            rows_a_new_check_rejects("ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0)"),
            None,
            "validated at once: its own derived check"
        );
        assert_eq!(rows_a_new_check_rejects("ALTER TABLE o ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES p (id) NOT VALID"), None);
        assert_eq!(rows_a_new_check_rejects("ALTER TABLE t VALIDATE CONSTRAINT k"), None);
    }

    #[test]
    fn not_valid_additions_and_tables_the_file_made_have_no_check() {
        assert!(probes("ALTER TABLE events ADD CONSTRAINT k CHECK (kind <> '') NOT VALID;").is_empty());
        assert!(probes("ALTER TABLE o ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES c (id) NOT VALID;").is_empty());
        assert!(probes("CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;\nDROP TABLE t;").is_empty());
    }

    #[test]
    fn a_backfill_before_the_statement_makes_its_check_one_only_the_file_can_answer() {
        let found = checks_of(
            "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\nUPDATE u SET b = 0 WHERE b IS NULL;\nALTER TABLE u ALTER COLUMN b SET NOT NULL;",
        );
        assert_eq!(found.iter().map(|c| c.before_the_file).collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn only_files_that_may_have_checks_are_parsed_for_them() {
        assert!(!may_have_checks(
            "CREATE TABLE t (id bigint PRIMARY KEY, a text NOT NULL CHECK (a <> ''));\nINSERT INTO t VALUES (1, 'x');"
        ));
        for text in ["alter  TABLE t add c int", "DROP TABLE t", "create unique index i on t (a)", "-- squashmate:check x: select 1"] {
            assert!(may_have_checks(text), "{text}");
        }
    }

    #[test]
    fn declared_checks_are_read_from_their_comments() {
        let found = checks_of(
            "-- squashmate:check no-orphan-orders: SELECT id FROM orders WHERE customer_id IS NULL;\nALTER TABLE t DROP COLUMN x;",
        );
        assert_eq!(found[0].name, "no-orphan-orders");
        assert_eq!(found[0].probe, Probe::Query { sql: "SELECT id FROM orders WHERE customer_id IS NULL".into() });
        assert_eq!(found[0].offset, "-- migrate:up\n".len());
        assert_eq!(found[1].kind, CheckKind::DataLoss);
    }
}
