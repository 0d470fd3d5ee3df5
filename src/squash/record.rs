//! The surgery's record of what it kept: one table beside the backups, a row per retired table
//! or column saying where it went, from which squash, and the script that puts it back — so
//! `squashmate backups` can list, restore and drop them months later from the database alone.
//! The rollback drops the record with the backups.

use std::fmt::Write;

use super::inspect::{RetiredColumn, RetiredTable};
use super::plan::{BackupStyle, TableName};
use super::scripts::{
    ALREADY_DONE_SQLSTATE, ScriptInput, column_back_checks, lock_up_front, move_table_back, restore_column, table_back_checks,
};
use crate::sql::{quote_ident_if_needed, quote_literal};

/// How a record table's comment begins: `backups` finds every squash's record by it.
pub const RECORD_MARK: &str = "squashmate backups record";

/// The record's name inside the backup schema (schema style); in suffix style it sits in the
/// ledger's schema as `squashmate_record_<date>`.
pub const RECORD_IN_SCHEMA: &str = "squashmate_record";

impl ScriptInput<'_> {
    /// Where the surgery records what it kept.
    pub fn record_table(&self) -> TableName {
        match self.backup {
            BackupStyle::Schema => TableName { schema: self.backup_schema(), name: RECORD_IN_SCHEMA.into() },
            BackupStyle::Suffix => TableName { schema: self.ledger.schema.clone(), name: format!("squashmate_record_{}", self.date) },
        }
    }
}

/// The surgery's statements that make the record (after the backups are made): the table, its
/// marking comment and one row per retired table and column.
pub(super) fn create_record(out: &mut String, input: &ScriptInput<'_>) {
    if !input.keeps_backups() {
        return;
    }
    let record = input.record_table();
    let _ = writeln!(out, "-- What this surgery kept, for `squashmate backups` (list, restore, drop); the rollback drops it.");
    let _ = writeln!(
        out,
        "CREATE TABLE {record} (\n  backup text PRIMARY KEY,\n  kind text NOT NULL CHECK (kind IN ('table', 'column')),\n  original text NOT NULL,\n  row_key text[] NOT NULL,\n  baseline_version text NOT NULL,\n  squashed_versions text[] NOT NULL,\n  made_at timestamptz NOT NULL DEFAULT now(),\n  restore_script text NOT NULL,\n  restored_at timestamptz\n);"
    );
    let _ = writeln!(
        out,
        "COMMENT ON TABLE {record} IS {};",
        quote_literal(&format!(
            "{RECORD_MARK}: what the surgery onto baseline {} kept; see `squashmate backups list`",
            input.baseline_version
        ))
    );
    let squashed = format!("ARRAY[{}]::text[]", input.squashed.iter().map(|v| quote_literal(v)).collect::<Vec<_>>().join(", "));
    let tables = input
        .details
        .tables
        .iter()
        .map(|t| (input.backup_table(&t.name), "table", t.name.readable(), Vec::new(), restore_table_script(input, t)));
    let columns = input
        .details
        .columns
        .iter()
        .map(|c| (input.column_backup(c), "column", readable_column(c), c.key.clone(), restore_column_script(input, c)));
    let rows: Vec<String> = tables
        .chain(columns)
        .map(|(backup, kind, original, key, script)| {
            let key = format!("ARRAY[{}]::text[]", key.iter().map(|k| quote_literal(k)).collect::<Vec<_>>().join(", "));
            format!(
                "  ({}, '{kind}', {}, {key}, {}, {squashed}, {})",
                quote_literal(&backup.readable()),
                quote_literal(&original),
                quote_literal(input.baseline_version),
                quote_literal(&script)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "INSERT INTO {record} (backup, kind, original, row_key, baseline_version, squashed_versions, restore_script) VALUES\n{};\n",
        rows.join(",\n")
    );
}

/// The rollback's statement that drops the record (before the backup schema goes).
pub(super) fn drop_record(out: &mut String, input: &ScriptInput<'_>) {
    if input.keeps_backups() {
        let _ = writeln!(out, "DROP TABLE {};", input.record_table());
    }
}

/// A retired column's name as the record keeps it: `schema.table.column`, quoted where needed.
fn readable_column(c: &RetiredColumn) -> String {
    format!("{}.{}", c.name.table.readable(), quote_ident_if_needed(&c.name.column))
}

/// The script that puts one retired table back (what `backups restore` runs).
fn restore_table_script(input: &ScriptInput<'_>, t: &RetiredTable) -> String {
    let locked = t.altered_tables(&input.backup_table(&t.name));
    restore_script(
        input,
        &t.name.readable(),
        &input.backup_table(&t.name),
        locked,
        |out, script| {
            table_back_checks(out, input, t, script);
        },
        |out| move_table_back(out, input, t),
    )
}

/// The script that puts one retired column back, its values by row key.
fn restore_column_script(input: &ScriptInput<'_>, c: &RetiredColumn) -> String {
    restore_script(
        input,
        &readable_column(c),
        &input.column_backup(c),
        vec![c.name.table.sql()],
        |out, script| {
            column_back_checks(out, input, c, script);
        },
        |out| restore_column(out, input, c),
    )
}

/// One transaction: the locks (as the surgery takes them), a check that the record still calls
/// the backup unrestored (else "already done", [`ALREADY_DONE_SQLSTATE`]), the object's own
/// checks, the statements that put it back, and the record's row marked restored.
fn restore_script(
    input: &ScriptInput<'_>,
    original: &str,
    backup: &TableName,
    locked: Vec<String>,
    checks: impl FnOnce(&mut String, &str),
    statements: impl FnOnce(&mut String),
) -> String {
    const SCRIPT: &str = "backups restore";
    let record = input.record_table();
    let ledger = input.ledger.qualified();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- squashmate backups restore: {original} back from {}, kept by the surgery onto baseline {}.",
        backup.readable(),
        input.baseline_version
    );
    let _ = writeln!(out, "BEGIN;\nSET LOCAL search_path = '';");
    lock_up_front(&mut out, SCRIPT, &input.locks, locked, &ledger);
    let _ = writeln!(out, "DO $squashmate$\nBEGIN");
    let _ = writeln!(
        out,
        "  IF NOT EXISTS (SELECT 1 FROM {record} WHERE backup = {} AND restored_at IS NULL) THEN\n    RAISE EXCEPTION '%', {} USING ERRCODE = '{ALREADY_DONE_SQLSTATE}';\n  END IF;",
        quote_literal(&backup.readable()),
        quote_literal(&format!("squashmate {SCRIPT}: {original} was restored already"))
    );
    checks(&mut out, SCRIPT);
    let _ = writeln!(out, "END\n$squashmate$;\n");
    statements(&mut out);
    let _ = writeln!(out, "UPDATE {record} SET restored_at = now() WHERE backup = {};\nCOMMIT;", quote_literal(&backup.readable()));
    out
}
