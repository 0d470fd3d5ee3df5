//! The hazard rules: what one statement of an up block will lock, rewrite, scan or break on a
//! live database, given what the block did before it (its `SET lock_timeout`, its `NOT VALID`
//! constraints, the tables this file created) and what the chain built (column types,
//! validated not-null checks). Pure: a parse tree in, findings out.

use std::collections::BTreeSet;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableCmd, AlterTableType, ColumnDef, ConstrType, ObjectType};

use super::model::{ColumnType, Model, object_name, renamed_table, table_key};

/// One hazard of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule, e.g. `table-rewrite`.
    pub rule: &'static str,
    /// What happens on a live database.
    pub message: String,
    /// The safe way to do it.
    pub next: String,
}

fn finding(rule: &'static str, message: impl Into<String>, next: impl Into<String>) -> Finding {
    Finding { rule, message: message.into(), next: next.into() }
}

/// What the rules know inside one file: tables and indexes it created (no rows, no readers yet).
#[derive(Debug, Default)]
pub struct FileContext {
    created: BTreeSet<String>,
    created_indexes: BTreeSet<String>,
}

/// What the rules know inside one block (one transaction, also a `transaction:false` block of
/// several statements: PostgreSQL runs it as one implicit transaction).
#[derive(Debug, Default)]
pub struct BlockContext {
    lock_timeout: bool,
    not_valid: BTreeSet<(String, String)>,
    /// The block set the session's TimeZone to UTC (`SET [LOCAL] TimeZone = 'UTC'`).
    utc: bool,
}

const EXPAND_CONTRACT: &str =
    "expand/contract: add the new shape, deploy code that uses it, and remove the old one in a later migration once nothing reads it";

/// Whether `SET [LOCAL] TimeZone = …` names UTC (`UTC`, `Etc/UTC`, `GMT`, `Z`, `0`).
fn sets_utc(set: &pg_query::protobuf::VariableSetStmt) -> bool {
    let value = set.args.first().and_then(|a| a.node.as_ref()).and_then(|n| match n {
        NodeEnum::AConst(c) => match &c.val {
            Some(pg_query::protobuf::a_const::Val::Sval(s)) => Some(s.sval.to_ascii_lowercase()),
            Some(pg_query::protobuf::a_const::Val::Ival(i)) => Some(i.ival.to_string()),
            _ => None,
        },
        _ => None,
    });
    matches!(value.as_deref(), Some("utc" | "etc/utc" | "gmt" | "etc/gmt" | "z" | "0" | "utc0"))
}

/// The hazards of `node`; then records what it did in the contexts.
pub fn check(node: &NodeEnum, model: &Model, file: &mut FileContext, block: &mut BlockContext) -> Vec<Finding> {
    let mut found = Vec::new();
    let existing = |table: &str, file: &FileContext| !file.created.contains(table);
    match node {
        NodeEnum::VariableSetStmt(set) if set.name == "lock_timeout" => block.lock_timeout = true,
        NodeEnum::VariableSetStmt(set) if set.name == "timezone" => block.utc = sets_utc(set),
        NodeEnum::CreateStmt(create) => {
            // A foreign key to an existing table takes SHARE ROW EXCLUSIVE on that table.
            for referenced in referenced_tables(create).into_iter().filter(|t| existing(t, file)) {
                found.extend(lock_timeout_hazard(&referenced, block));
            }
            if let Some(relation) = &create.relation {
                file.created.insert(table_key(relation));
            }
        }
        NodeEnum::AlterTableStmt(alter) => found.extend(alter_table_statement(alter, model, file, block)),
        NodeEnum::RenameStmt(rename) if rename.relation.is_some() => {
            found.extend(rename_statement(rename, file, block));
            let table = rename.relation.as_ref().map(table_key).unwrap_or_default();
            if rename.rename_type == ObjectType::ObjectTable as i32 && file.created.contains(&table) {
                file.created.insert(renamed_table(&table, &rename.newname));
            }
        }
        NodeEnum::AlterObjectSchemaStmt(moved) if moved.object_type == ObjectType::ObjectTable as i32 => {
            let Some(relation) = &moved.relation else { return found };
            let table = table_key(relation);
            if file.created.contains(&table) {
                file.created.insert(format!("{}.{}", moved.newschema, relation.relname));
            } else {
                found.push(finding(
                    "breaking-change",
                    format!(
                        "moving table {table} to schema {}: code that is running uses the old name and fails until it is deployed again",
                        moved.newschema
                    ),
                    EXPAND_CONTRACT,
                ));
                found.extend(lock_timeout_hazard(&table, block));
            }
        }
        NodeEnum::DropStmt(drop) if drop.remove_type == ObjectType::ObjectTable as i32 => {
            for table in drop.objects.iter().filter_map(object_name).filter(|t| existing(t, file)) {
                found.push(finding(
                    "breaking-change",
                    format!("dropping table {table}: its rows are gone and code still reading it fails"),
                    format!("{EXPAND_CONTRACT}; keep a copy (squashmate squash retires tables into a backup instead of dropping)"),
                ));
                found.extend(lock_timeout_hazard(&table, block));
            }
        }
        NodeEnum::DropStmt(drop)
            if drop.remove_type == ObjectType::ObjectIndex as i32
                && !drop.concurrent
                && drop.objects.iter().filter_map(object_name).any(|i| !file.created_indexes.contains(&i)) =>
        {
            found.push(finding(
                "blocking-index",
                "DROP INDEX takes an ACCESS EXCLUSIVE lock on its table: reads and writes wait",
                "DROP INDEX CONCURRENTLY, alone in a `-- migrate:up transaction:false` block",
            ));
        }
        NodeEnum::IndexStmt(index) => found.extend(index_statement(index, file)),
        NodeEnum::ReindexStmt(reindex) if !reindex.params.iter().any(|p| is_option(p, "concurrently")) => {
            found.push(finding(
                "blocking-index",
                "REINDEX locks out writes (and reads that use the index) while it rebuilds",
                "REINDEX (CONCURRENTLY), alone in a `-- migrate:up transaction:false` block",
            ));
        }
        NodeEnum::ClusterStmt(_) => found.push(finding(
            "table-rewrite",
            "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock: reads and writes wait until it ends",
            "schedule it outside migrations in a maintenance window, or use pg_repack",
        )),
        NodeEnum::VacuumStmt(vacuum) if vacuum.is_vacuumcmd && vacuum.options.iter().any(|o| is_option(o, "full")) => found.push(finding(
            "table-rewrite",
            "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock: reads and writes wait until it ends",
            "plain VACUUM (no lock against reads and writes), or pg_repack",
        )),
        NodeEnum::CreateTrigStmt(trigger) => {
            let table = trigger.relation.as_ref().map(table_key).unwrap_or_default();
            if existing(&table, file) {
                found.extend(lock_timeout_hazard(&table, block));
            }
        }
        _ => {}
    }
    found
}

/// `ALTER TABLE` on a table the file did not create: each command's hazards, and a missing
/// `lock_timeout` unless every command takes only a weak lock.
fn alter_table_statement(
    alter: &pg_query::protobuf::AlterTableStmt,
    model: &Model,
    file: &FileContext,
    block: &mut BlockContext,
) -> Vec<Finding> {
    let Some(relation) = &alter.relation else { return Vec::new() };
    let table = table_key(relation);
    if file.created.contains(&table) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let cmds: Vec<&AlterTableCmd> = alter
        .cmds
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::AlterTableCmd(c)) => Some(c.as_ref()),
            _ => None,
        })
        .collect();
    for cmd in &cmds {
        found.extend(alter_hazards(&table, cmd, model, block));
    }
    let only_weak_locks = cmds.iter().all(|c| {
        matches!(
            AlterTableType::try_from(c.subtype),
            Ok(AlterTableType::AtValidateConstraint | AlterTableType::AtSetStatistics | AlterTableType::AtAttachPartition)
        )
    });
    if !only_weak_locks {
        found.extend(lock_timeout_hazard(&table, block));
    }
    found
}

/// Renaming an existing table or column: running code breaks.
fn rename_statement(rename: &pg_query::protobuf::RenameStmt, file: &FileContext, block: &mut BlockContext) -> Vec<Finding> {
    let mut found = Vec::new();
    let table = rename.relation.as_ref().map(table_key).unwrap_or_default();
    let what = if rename.rename_type == ObjectType::ObjectTable as i32 {
        Some(format!("renaming table {table} to {}", rename.newname))
    } else if rename.rename_type == ObjectType::ObjectColumn as i32 {
        Some(format!("renaming column {table}.{} to {}", rename.subname, rename.newname))
    } else {
        None
    };
    if let Some(what) = what.filter(|_| !file.created.contains(&table)) {
        found.push(finding(
            "breaking-change",
            format!("{what}: code that is running uses the old name and fails until it is deployed again"),
            EXPAND_CONTRACT,
        ));
        found.extend(lock_timeout_hazard(&table, block));
    }
    found
}

/// `CREATE INDEX` without `CONCURRENTLY` on an existing table; the index is remembered.
fn index_statement(index: &pg_query::protobuf::IndexStmt, file: &mut FileContext) -> Vec<Finding> {
    let mut found = Vec::new();
    let table = index.relation.as_ref().map(table_key).unwrap_or_default();
    if !index.idxname.is_empty() {
        let schema = table.split_once('.').map_or("public", |(s, _)| s);
        file.created_indexes.insert(format!("{schema}.{}", index.idxname));
    }
    if !index.concurrent && !file.created.contains(&table) {
        found.push(finding(
            "blocking-index",
            format!("CREATE INDEX on {table} blocks every write to it while the index is built"),
            "CREATE INDEX CONCURRENTLY, alone in a `-- migrate:up transaction:false` block",
        ));
    }
    found
}

/// The tables a new table's foreign keys point at.
fn referenced_tables(create: &pg_query::protobuf::CreateStmt) -> BTreeSet<String> {
    let column_constraints = create.table_elts.iter().flat_map(|e| match &e.node {
        Some(NodeEnum::ColumnDef(c)) => c.constraints.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    let table_constraints = create.table_elts.iter().filter(|e| matches!(e.node, Some(NodeEnum::Constraint(_))));
    column_constraints
        .chain(table_constraints)
        .filter_map(|c| match &c.node {
            Some(NodeEnum::Constraint(c)) if c.contype == ConstrType::ConstrForeign as i32 => c.pktable.as_ref().map(table_key),
            _ => None,
        })
        .collect()
}

fn lock_timeout_hazard(table: &str, block: &BlockContext) -> Option<Finding> {
    (!block.lock_timeout).then(|| {
        finding(
            "require-lock-timeout",
            format!("this takes a strong lock on {table} with no lock_timeout: while it waits behind any open transaction, every query on {table} queues behind it"),
            "start the block with `SET lock_timeout = '2s';` (and retry the migration when it times out)",
        )
    })
}

fn alter_hazards(table: &str, cmd: &AlterTableCmd, model: &Model, block: &mut BlockContext) -> Vec<Finding> {
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
    let mut found = Vec::new();
    match (AlterTableType::try_from(cmd.subtype), def) {
        (Ok(AlterTableType::AtAddColumn), Some(NodeEnum::ColumnDef(column))) => found.extend(add_column_hazards(table, column)),
        (Ok(AlterTableType::AtAlterColumnType), Some(NodeEnum::ColumnDef(column))) => {
            let to = column.type_name.as_ref().map(ColumnType::of);
            let from = model.column_type(table, &cmd.name);
            let rewrites = match (from, &to) {
                _ if column.raw_default.is_some() => true,
                (Some(from), Some(to)) => !from.widens_to(to),
                _ => true,
            };
            let relabel = matches!((from, &to), (Some(from), Some(to)) if column.raw_default.is_none() && from.relabels_in_utc(to));
            if relabel && !block.utc {
                found.push(finding(
                    "rewrite-unless-utc",
                    format!(
                        "changing {table}.{} between timestamp and timestamptz rewrites the whole table under an ACCESS EXCLUSIVE lock unless the session's TimeZone is UTC (PostgreSQL 12+ then only relabels the column)",
                        cmd.name
                    ),
                    "start the block with `SET LOCAL TimeZone = 'UTC';` so the change cannot rewrite, or check the server's TimeZone",
                ));
            } else if rewrites && !relabel {
                let from = from.map_or("its old type (not created by this chain)".to_string(), |f| f.name.clone());
                found.push(finding(
                    "table-rewrite",
                    format!(
                        "changing {table}.{} from {from} to {} rewrites the whole table under an ACCESS EXCLUSIVE lock",
                        cmd.name,
                        to.map_or_else(String::new, |t| t.name)
                    ),
                    "add a new column, backfill it in batches, switch the code over, then drop the old column",
                ));
            }
        }
        (Ok(AlterTableType::AtSetNotNull), _) if !model.has_not_null_check(table, &cmd.name) => found.push(finding(
            "full-scan-under-lock",
            format!("SET NOT NULL on {table}.{} scans the whole table under an ACCESS EXCLUSIVE lock", cmd.name),
            format!(
                "first ADD CONSTRAINT … CHECK ({} IS NOT NULL) NOT VALID, VALIDATE it in a later transaction, then SET NOT NULL uses it and does not scan",
                cmd.name
            ),
        )),
        (Ok(AlterTableType::AtAddConstraint), Some(NodeEnum::Constraint(c))) => {
            let kind = ConstrType::try_from(c.contype);
            match kind {
                Ok(ConstrType::ConstrCheck | ConstrType::ConstrForeign) if c.skip_validation => {
                    block.not_valid.insert((table.to_string(), c.conname.clone()));
                }
                Ok(ConstrType::ConstrCheck | ConstrType::ConstrForeign) => found.push(finding(
                    "full-scan-under-lock",
                    format!("adding {} to {table} checks every row while holding its lock", if kind == Ok(ConstrType::ConstrCheck) { "a CHECK" } else { "a FOREIGN KEY" }),
                    "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction (it then takes only a SHARE UPDATE EXCLUSIVE lock)",
                )),
                Ok(ConstrType::ConstrUnique | ConstrType::ConstrPrimary) if c.indexname.is_empty() => found.push(finding(
                    "full-scan-under-lock",
                    format!("adding a UNIQUE or PRIMARY KEY constraint to {table} builds its index under an ACCESS EXCLUSIVE lock"),
                    "CREATE UNIQUE INDEX CONCURRENTLY first (its own transaction:false block), then ADD CONSTRAINT … USING INDEX",
                )),
                _ => {}
            }
        }
        (Ok(AlterTableType::AtValidateConstraint), _) if block.not_valid.contains(&(table.to_string(), cmd.name.clone())) => {
            found.push(finding(
                "full-scan-under-lock",
                format!("VALIDATE CONSTRAINT {} runs in the transaction that added it NOT VALID, which still holds the strong lock: the scan blocks everyone", cmd.name),
                "validate it in a later transaction: another block (`-- migrate:up` again) or another migration",
            ));
        }
        (Ok(AlterTableType::AtSetLogged | AlterTableType::AtSetUnLogged), _) => found.push(finding(
            "table-rewrite",
            format!("SET LOGGED / UNLOGGED rewrites {table} under an ACCESS EXCLUSIVE lock"),
            "avoid it on a table in use; create a new table and copy in batches",
        )),
        (Ok(AlterTableType::AtDropColumn), _) => found.push(finding(
            "breaking-change",
            format!("dropping column {table}.{}: its values are gone and code still reading it fails", cmd.name),
            format!("{EXPAND_CONTRACT}; keep a copy (squashmate squash saves retired columns with their row key)"),
        )),
        _ => {}
    }
    found
}

fn add_column_hazards(table: &str, column: &ColumnDef) -> Vec<Finding> {
    let constraints: Vec<ConstrType> = column
        .constraints
        .iter()
        .filter_map(|c| match &c.node {
            Some(NodeEnum::Constraint(c)) => ConstrType::try_from(c.contype).ok(),
            _ => None,
        })
        .collect();
    let default = column.constraints.iter().find_map(|c| match &c.node {
        Some(NodeEnum::Constraint(c)) if c.contype == ConstrType::ConstrDefault as i32 => c.raw_expr.as_deref(),
        _ => None,
    });
    let type_name = column.type_name.as_ref().map(ColumnType::of).map(|t| t.name).unwrap_or_default();
    let mut found = Vec::new();
    let not_null = column.is_not_null || constraints.contains(&ConstrType::ConstrNotnull);
    let generated = constraints.iter().any(|c| matches!(c, ConstrType::ConstrIdentity | ConstrType::ConstrGenerated));
    let serial = matches!(type_name.as_str(), "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2");
    if not_null && default.is_none() && !generated && !serial {
        found.push(finding(
            "adding-required-field",
            format!(
                "adding NOT NULL column {table}.{} without a default fails on a table with rows, and breaks inserts from running code",
                column.colname
            ),
            "add it nullable (or with a default), backfill, then SET NOT NULL the safe way",
        ));
    }
    if generated || serial || default.is_some_and(volatile) {
        found.push(finding(
            "table-rewrite",
            format!("adding {table}.{} with a value computed per row (a volatile default, identity, serial or generated column) rewrites the whole table under an ACCESS EXCLUSIVE lock", column.colname),
            "add the column without that default, backfill it in batches, then set the default",
        ));
    }
    found
}

/// Whether a default expression calls a function PostgreSQL treats as volatile (the common
/// ones; `now()` and `current_timestamp` are stable and do not rewrite).
fn volatile(expr: &pg_query::Node) -> bool {
    const VOLATILE: [&str; 8] =
        ["random", "gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "clock_timestamp", "nextval", "timeofday", "txid_current"];
    match &expr.node {
        Some(NodeEnum::FuncCall(call)) => {
            call.funcname.iter().any(|n| matches!(&n.node, Some(NodeEnum::String(s)) if VOLATILE.contains(&s.sval.as_str())))
                || call.args.iter().any(volatile)
        }
        Some(NodeEnum::TypeCast(cast)) => cast.arg.as_deref().is_some_and(volatile),
        _ => false,
    }
}

fn is_option(node: &pg_query::Node, name: &str) -> bool {
    matches!(&node.node, Some(NodeEnum::DefElem(d)) if d.defname == name)
}
