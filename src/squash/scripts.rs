//! The surgery that moves a production database onto the baseline, and its exact rollback:
//! pure text from the plan, the inspected details and the ledger versions. Each is one
//! transaction that checks first (`RAISE EXCEPTION`, nothing changed) and never drops data.

use std::fmt::Write;

use super::inspect::{Details, RetiredColumn, RetiredTable, shape_sql};
use super::plan::{BackupStyle, LockPolicy, TableName};
use super::record::{create_record, drop_record};
use crate::ledger::LedgerTable;
use crate::sql::{fit_identifier, quote_ident, quote_literal};

/// What the scripts are made from.
#[derive(Debug, Clone)]
pub struct ScriptInput<'a> {
    /// The inspected retired objects and comments.
    pub details: &'a Details,
    /// The squashed versions, ascending.
    pub squashed: &'a [String],
    /// The baseline's version.
    pub baseline_version: &'a str,
    /// The ledger table.
    pub ledger: &'a LedgerTable,
    /// Backup style.
    pub backup: BackupStyle,
    /// `YYYYMMDD`, naming the backup.
    pub date: &'a str,
    /// How the scripts take their locks.
    pub locks: LockPolicy,
}

impl ScriptInput<'_> {
    /// The backup schema (schema style), unquoted.
    pub fn backup_schema(&self) -> String {
        format!("squashmate_backup_{}", self.date)
    }

    /// Whether the surgery keeps anything (a retired table or column): only then is there a
    /// backup schema and a record.
    pub fn keeps_backups(&self) -> bool {
        !self.details.tables.is_empty() || !self.details.columns.is_empty()
    }

    /// Every table the surgery makes or moves aside: the retired tables' backups, the retired
    /// columns' saved values, and the record of them (what the proof and the baseline leave out).
    pub fn backups(&self) -> Vec<TableName> {
        let tables = self.details.tables.iter().map(|t| self.backup_table(&t.name));
        let columns = self.details.columns.iter().map(|c| self.column_backup(c));
        let record = self.keeps_backups().then(|| self.record_table());
        tables.chain(columns).chain(record).collect()
    }

    /// Where a retired table is kept.
    pub fn backup_table(&self, table: &TableName) -> TableName {
        match self.backup {
            BackupStyle::Schema => TableName { schema: self.backup_schema(), name: table.name.clone() },
            BackupStyle::Suffix => {
                TableName { schema: table.schema.clone(), name: fit_identifier(&table.name, &format!("_squashed_{}", self.date)) }
            }
        }
    }

    /// Where a retired column's values are kept (with the row key).
    pub fn column_backup(&self, column: &RetiredColumn) -> TableName {
        let base = format!("{}__{}", column.name.table.name, column.name.column);
        match self.backup {
            BackupStyle::Schema => TableName { schema: self.backup_schema(), name: fit_identifier(&base, "") },
            BackupStyle::Suffix => {
                TableName { schema: column.name.table.schema.clone(), name: fit_identifier(&base, &format!("_squashed_{}", self.date)) }
            }
        }
    }

    /// A re-squash: the chain began with an earlier baseline of the same version, whose ledger
    /// row stays while the rows of the other squashed versions go.
    fn keeps_baseline_row(&self) -> bool {
        self.squashed.iter().any(|v| v == self.baseline_version)
    }

    /// Every squashed version, as an SQL array (what the ledger must hold before the surgery).
    fn squashed_array(&self) -> String {
        versions_array(self.squashed.iter())
    }

    /// The squashed versions whose ledger rows the surgery removes (all but a kept baseline's).
    fn replaced_array(&self) -> String {
        versions_array(self.squashed.iter().filter(|v| *v != self.baseline_version))
    }

    /// The surgery's refusal when it ran already (and the rollback's condition to run).
    fn already_squashed_sql(&self, ledger: &str) -> String {
        squashed_sql(ledger, self.baseline_version, self.squashed)
    }
}

fn versions_array<'v>(versions: impl Iterator<Item = &'v String>) -> String {
    format!("ARRAY[{}]::text[]", versions.map(|v| quote_literal(v)).collect::<Vec<_>>().join(", "))
}

/// SQL that is true when the `ledger` (qualified) is where the surgery onto `baseline_version`
/// replacing `squashed` leaves it: the baseline is there and — in a re-squash, whose baseline
/// keeps an earlier baseline's version — none of the versions it replaces is left. The
/// surgery refuses to run again then; the rollback runs only then; `backups list` calls the
/// rollback still possible only then.
pub fn squashed_sql(ledger: &str, baseline_version: &str, squashed: &[String]) -> String {
    let baseline = format!("EXISTS (SELECT 1 FROM {ledger} WHERE version = {})", quote_literal(baseline_version));
    if squashed.iter().any(|v| v == baseline_version) {
        let replaced = versions_array(squashed.iter().filter(|v| *v != baseline_version));
        format!("{baseline} AND NOT EXISTS (SELECT 1 FROM {ledger} WHERE version = ANY ({replaced}))")
    } else {
        baseline
    }
}

fn col(c: &RetiredColumn) -> String {
    format!("{}.{}", c.name.table.sql(), quote_ident(&c.name.column))
}

pub(super) fn assert_sql(out: &mut String, condition: &str, message: &str) {
    let _ = writeln!(out, "  IF {condition} THEN\n    RAISE EXCEPTION '%', {};\n  END IF;", quote_literal(message));
}

/// The preflight's first check: the ledger table is there.
fn assert_ledger_exists(out: &mut String, script: &str, ledger: &str) {
    assert_sql(
        out,
        &format!("to_regclass({}) IS NULL", quote_literal(ledger)),
        &format!("squashmate {script}: no ledger table {ledger}; run it on a database migrated by dbmate or squashmate"),
    );
}

/// The SQLSTATE a script's preflight raises when the database is already where the script
/// would take it (surgery done, or nothing to roll back), so a fleet run can tell "already
/// done" from a failure.
pub const ALREADY_DONE_SQLSTATE: &str = "SQ000";

/// Like [`assert_sql`], raising [`ALREADY_DONE_SQLSTATE`].
fn assert_not_done(out: &mut String, condition: &str, message: &str) {
    let _ = writeln!(
        out,
        "  IF {condition} THEN\n    RAISE EXCEPTION '%', {} USING ERRCODE = '{ALREADY_DONE_SQLSTATE}';\n  END IF;",
        quote_literal(message)
    );
}

fn regclass(t: &TableName) -> String {
    format!("to_regclass({})", quote_literal(&t.sql()))
}

fn column_type(table: &TableName, column: &str) -> String {
    format!(
        "(SELECT format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute WHERE attrelid = {} AND attname = {} AND NOT attisdropped)",
        regclass(table),
        quote_literal(column)
    )
}

/// The surgery script.
pub fn surgery(input: &ScriptInput<'_>) -> String {
    let d = input.details;
    let ledger = input.ledger.qualified();
    let mut out = String::new();
    let _ =
        writeln!(out, "-- squashmate surgery: moves a database at the end of the squashed chain onto baseline {}.", input.baseline_version);
    let _ = writeln!(out, "-- One transaction; it checks first and changes nothing when a check fails. Nothing is dropped:");
    let _ = writeln!(out, "-- retired tables are moved, retired columns' values saved with their row keys.");
    save_instructions(&mut out, input);
    let _ = writeln!(
        out,
        "\nBEGIN;\n-- Every name below is qualified; types and definitions print the same whatever the session's search_path.\nSET LOCAL search_path = '';"
    );
    // Retired views are not locked up front: LOCK on a view locks its base tables too, checked
    // as the view's owner, who may only read them. Their DROP takes their lock, under the same
    // lock_timeout; the tables whose columns or rows change are locked here.
    let mut locked: Vec<String> = d.tables.iter().flat_map(|t| t.altered_tables(&t.name)).collect();
    locked.extend(d.columns.iter().map(|c| c.name.table.sql()));
    lock_up_front(&mut out, "surgery", &input.locks, locked, &ledger);
    surgery_preflight(&mut out, input, &ledger);
    surgery_changes(&mut out, input);
    let _ = writeln!(out, "\n-- The ledger: exactly the squashed versions give way to the baseline; later ones stay.");
    let _ = writeln!(out, "DELETE FROM {ledger} WHERE version = ANY ({});", input.replaced_array());
    if input.keeps_baseline_row() {
        let _ = writeln!(out, "-- The earlier baseline's row, {}, stays: the new baseline has its version.", input.baseline_version);
    } else {
        let _ = writeln!(out, "INSERT INTO {ledger} (version) VALUES ({});", quote_literal(input.baseline_version));
    }
    let _ = writeln!(out, "\nCOMMIT;");
    out
}

/// The surgery's opening comment: how to save what it touches outside the database first.
fn save_instructions(out: &mut String, input: &ScriptInput<'_>) {
    let d = input.details;
    let _ = writeln!(out, "--\n-- Before running it, save what it touches outside the database:");
    let _ = writeln!(
        out,
        "--   pg_dump --data-only --table={} \"$DATABASE_URL\" > ledger-before-squash.sql",
        shell_table(&input.ledger.schema, &input.ledger.table)
    );
    for t in &d.tables {
        let _ = writeln!(
            out,
            "--   pg_dump --table={} \"$DATABASE_URL\" > {}.sql",
            shell_table(&t.name.schema, &t.name.name),
            t.name.name.replace(['/', '"', '\''], "_")
        );
    }
    for c in &d.columns {
        let keys: Vec<String> = c.key.iter().map(|k| quote_ident(k)).collect();
        let _ = writeln!(
            out,
            "--   psql \"$DATABASE_URL\" -c \"\\copy (SELECT {}, {} FROM {}) TO '{}__{}.csv' CSV HEADER\"",
            keys.join(", ").replace('"', "\\\""),
            quote_ident(&c.name.column).replace('"', "\\\""),
            c.name.table.sql().replace('"', "\\\""),
            c.name.table.name.replace(['/', '"', '\''], "_"),
            c.name.column.replace(['/', '"', '\''], "_")
        );
    }
}

/// The surgery's checks, before anything changes: the ledger holds every squashed version, the
/// surgery has not run, every retired object exists with its shape, no backup is in the way.
fn surgery_preflight(out: &mut String, input: &ScriptInput<'_>, ledger: &str) {
    let d = input.details;
    let _ = writeln!(out, "DO $squashmate$\nBEGIN");
    let _ = writeln!(out, "  -- Preflight: the ledger holds every squashed version, and this surgery has not run yet.");
    assert_ledger_exists(out, "surgery", ledger);
    assert_not_done(
        out,
        &input.already_squashed_sql(ledger),
        &format!(
            "squashmate surgery: the ledger already holds baseline version {} in place of the squashed versions; this database was squashed already",
            input.baseline_version
        ),
    );
    let _ = writeln!(
        out,
        "  IF EXISTS (SELECT 1 FROM unnest({arr}) v WHERE v NOT IN (SELECT version FROM {ledger})) THEN\n    RAISE EXCEPTION 'squashmate surgery: the ledger lacks squashed version(s) %; bring this database to the end of the old chain first', (SELECT string_agg(v, ', ') FROM unnest({arr}) v WHERE v NOT IN (SELECT version FROM {ledger}));\n  END IF;",
        arr = input.squashed_array()
    );
    let _ = writeln!(out, "  -- Preflight: every retired object exists with the expected shape; no backup is in the way.");
    for t in &d.tables {
        assert_sql(out, &format!("{} IS NULL", regclass(&t.name)), &format!("squashmate surgery: retired table {} does not exist", t.name));
        assert_sql(
            out,
            &format!("{} IS DISTINCT FROM {}", shape_sql(&regclass(&t.name)), quote_literal(&t.shape)),
            &format!(
                "squashmate surgery: retired table {} no longer has the columns it had when the squash was made ({})",
                t.name, t.shape
            ),
        );
        let backup = input.backup_table(&t.name);
        assert_sql(out, &format!("{} IS NOT NULL", regclass(&backup)), &format!("squashmate surgery: {backup} already exists"));
    }
    for c in &d.columns {
        assert_sql(
            out,
            &format!("{} IS DISTINCT FROM {}", column_type(&c.name.table, &c.name.column), quote_literal(&c.type_sql)),
            &format!("squashmate surgery: retired column {} is missing or not of type {}", col(c), c.type_sql),
        );
        let backup = input.column_backup(c);
        assert_sql(out, &format!("{} IS NOT NULL", regclass(&backup)), &format!("squashmate surgery: {backup} already exists"));
    }
    for v in &d.views {
        assert_sql(out, &format!("{} IS NULL", regclass(&v.name)), &format!("squashmate surgery: retired view {} does not exist", v.name));
    }
    if input.keeps_backups() {
        let record = input.record_table();
        assert_sql(out, &format!("{} IS NOT NULL", regclass(&record)), &format!("squashmate surgery: {record} already exists"));
    }
    let _ = writeln!(out, "END\n$squashmate$;\n");
}

/// What the surgery changes: views dropped, tables moved, columns saved and dropped, comments.
fn surgery_changes(out: &mut String, input: &ScriptInput<'_>) {
    let d = input.details;
    if input.backup == BackupStyle::Schema && input.keeps_backups() {
        let _ = writeln!(out, "CREATE SCHEMA {};\n", quote_ident(&input.backup_schema()));
    }
    for v in &d.views {
        let _ = writeln!(out, "-- Retired {} (its definition is in the rollback).\nDROP {} {};\n", v.kind, v.kind.to_uppercase(), v.name);
    }
    for t in &d.tables {
        cut_own_links(out, t);
        for fk in &t.incoming {
            let _ = writeln!(
                out,
                "-- {} pointed at retired {}; the rollback restores it.\nALTER TABLE {} DROP CONSTRAINT {};",
                fk.name,
                t.name,
                fk.table,
                quote_ident(&fk.name)
            );
        }
        let backup = input.backup_table(&t.name);
        let _ = match input.backup {
            BackupStyle::Schema => writeln!(out, "ALTER TABLE {} SET SCHEMA {};\n", t.name, quote_ident(&backup.schema)),
            BackupStyle::Suffix => writeln!(out, "ALTER TABLE {} RENAME TO {};\n", t.name, quote_ident(&backup.name)),
        };
    }
    for c in &d.columns {
        let backup = input.column_backup(c);
        let keys: Vec<String> = c.key.iter().map(|k| quote_ident(k)).collect();
        let _ = writeln!(out, "-- {}: values saved with the full row key ({}), then dropped.", col(c), keys.join(", "));
        let _ =
            writeln!(out, "CREATE TABLE {backup} AS SELECT {}, {} FROM {};", keys.join(", "), quote_ident(&c.name.column), c.name.table);
        let _ = writeln!(out, "ALTER TABLE {backup} ADD PRIMARY KEY ({});", keys.join(", "));
        let _ = writeln!(out, "ALTER TABLE {} DROP COLUMN {};\n", c.name.table, quote_ident(&c.name.column));
    }
    create_record(out, input);
    for comment in &d.comments {
        let _ = writeln!(out, "COMMENT ON {} IS {};", comment.target, quote_literal(&comment.new));
    }
}

/// The rollback script: undoes [`surgery`] exactly.
pub fn rollback(input: &ScriptInput<'_>) -> String {
    let d = input.details;
    let ledger = input.ledger.qualified();
    let mut out = String::new();
    let _ =
        writeln!(out, "-- squashmate rollback: undoes the surgery onto baseline {} — tables moved back, retired", input.baseline_version);
    let _ = writeln!(out, "-- columns re-added and their values restored by row key, foreign keys, views, comments and");
    let _ = writeln!(out, "-- the ledger restored. One transaction; it checks first and changes nothing when a check fails.\n");
    let _ = writeln!(
        out,
        "BEGIN;\n-- Every name below is qualified; types and definitions print the same whatever the session's search_path.\nSET LOCAL search_path = '';"
    );
    let mut locked: Vec<String> = d.tables.iter().flat_map(|t| t.altered_tables(&input.backup_table(&t.name))).collect();
    locked.extend(d.columns.iter().map(|c| c.name.table.sql()));
    lock_up_front(&mut out, "rollback", &input.locks, locked, &ledger);
    rollback_preflight(&mut out, input, &ledger);
    restore_columns(&mut out, input);
    for t in &d.tables {
        move_table_back(&mut out, input, t);
    }
    for v in d.views.iter().rev() {
        let _ = writeln!(out, "CREATE {} {} AS\n{};", v.kind.to_uppercase(), v.name, v.definition.trim_end().trim_end_matches(';'));
        if let Some(comment) = &v.comment {
            let _ = writeln!(out, "COMMENT ON {} {} IS {};", v.kind.to_uppercase(), v.name, quote_literal(comment));
        }
        if let Some(owner) = &v.owner {
            let _ = writeln!(out, "ALTER {} {} OWNER TO {owner};", v.kind.to_uppercase(), v.name);
        }
        for g in &v.grants {
            let _ = writeln!(out, "GRANT {} ON TABLE {} TO {}{};", g.privilege, v.name, g.grantee, g.option());
        }
    }
    for comment in &d.comments {
        let old = comment.old.as_ref().map_or_else(|| "NULL".to_string(), |c| quote_literal(c));
        let _ = writeln!(out, "COMMENT ON {} IS {old};", comment.target);
    }
    drop_record(&mut out, input);
    if input.backup == BackupStyle::Schema && input.keeps_backups() {
        let _ = writeln!(out, "DROP SCHEMA {};", quote_ident(&input.backup_schema()));
    }
    if input.keeps_baseline_row() {
        let _ = writeln!(out, "\n-- The earlier baseline's row, {}, stays.", input.baseline_version);
    } else {
        let _ = writeln!(out, "\nDELETE FROM {ledger} WHERE version = {};", quote_literal(input.baseline_version));
    }
    let _ = writeln!(out, "INSERT INTO {ledger} (version) SELECT unnest({});\n\nCOMMIT;", input.replaced_array());
    out
}

/// The surgery's first step on a retired table: its own triggers and its foreign keys onto
/// kept tables go (each made again by [`move_table_back`]), so the backup fires nothing and
/// restricts, cascades into or nulls nothing that is kept.
fn cut_own_links(out: &mut String, t: &RetiredTable) {
    for trigger in &t.triggers {
        let _ = writeln!(out, "-- Trigger {} of retired {}; the rollback makes it again.", trigger.name, t.name);
        let _ = writeln!(out, "DROP TRIGGER {} ON {};", quote_ident(&trigger.name), t.name);
    }
    for fk in &t.outgoing {
        let _ = writeln!(out, "-- {} of retired {} points at kept {}; the rollback restores it.", fk.name, t.name, fk.parent);
        let _ = writeln!(out, "ALTER TABLE {} DROP CONSTRAINT {};", t.name, quote_ident(&fk.name));
    }
}

/// A retired table moved back to its name; the foreign keys that pointed at it, its own
/// foreign keys and its triggers (with their state and comments) made again.
pub(super) fn move_table_back(out: &mut String, input: &ScriptInput<'_>, t: &RetiredTable) {
    let backup = input.backup_table(&t.name);
    let _ = match input.backup {
        BackupStyle::Schema => writeln!(out, "ALTER TABLE {backup} SET SCHEMA {};", quote_ident(&t.name.schema)),
        BackupStyle::Suffix => writeln!(out, "ALTER TABLE {backup} RENAME TO {};", quote_ident(&t.name.name)),
    };
    for fk in &t.incoming {
        let _ = writeln!(out, "ALTER TABLE {} ADD CONSTRAINT {} {};", fk.table, quote_ident(&fk.name), fk.definition);
    }
    for fk in &t.outgoing {
        let _ = writeln!(out, "ALTER TABLE {} ADD CONSTRAINT {} {};", t.name, quote_ident(&fk.name), fk.definition);
    }
    for trigger in &t.triggers {
        let _ = writeln!(out, "{};", trigger.definition.trim_end_matches(';'));
        if let Some(state) = trigger.state {
            let _ = writeln!(out, "ALTER TABLE {} {state} TRIGGER {};", t.name, quote_ident(&trigger.name));
        }
        if let Some(comment) = &trigger.comment {
            let _ = writeln!(out, "COMMENT ON TRIGGER {} ON {} IS {};", quote_ident(&trigger.name), t.name, quote_literal(comment));
        }
    }
    let _ = writeln!(out);
}

/// The rollback's checks, before anything changes: the database was squashed and not rolled
/// back, every saved table and value is there, nothing retired exists again, and rows added
/// since can take the restored column.
fn rollback_preflight(out: &mut String, input: &ScriptInput<'_>, ledger: &str) {
    let d = input.details;
    let _ = writeln!(out, "DO $squashmate$\nBEGIN");
    assert_ledger_exists(out, "rollback", ledger);
    assert_not_done(
        out,
        &format!("NOT EXISTS (SELECT 1 FROM {ledger} WHERE version = {})", quote_literal(input.baseline_version)),
        &format!(
            "squashmate rollback: the ledger does not hold baseline version {}; this database was not squashed (or was rolled back already)",
            input.baseline_version
        ),
    );
    if input.keeps_baseline_row() {
        assert_not_done(
            out,
            &format!("EXISTS (SELECT 1 FROM {ledger} WHERE version = ANY ({}))", input.replaced_array()),
            "squashmate rollback: the ledger still holds versions the baseline replaced; this database was not squashed (or was rolled back already)",
        );
    }
    for t in &d.tables {
        table_back_checks(out, input, t, "rollback");
    }
    for c in &d.columns {
        column_back_checks(out, input, c, "rollback");
    }
    let _ = writeln!(out, "END\n$squashmate$;\n");
}

/// The checks before a retired table is put back (by the rollback or `backups restore`): its
/// backup is there and nothing has taken its name since.
pub(super) fn table_back_checks(out: &mut String, input: &ScriptInput<'_>, t: &RetiredTable, script: &str) {
    let backup = input.backup_table(&t.name);
    assert_sql(out, &format!("{} IS NULL", regclass(&backup)), &format!("squashmate {script}: the saved table {backup} is missing"));
    assert_sql(
        out,
        &format!("{} IS NOT NULL", regclass(&t.name)),
        &format!("squashmate {script}: {} exists again; move it away first", t.name),
    );
    for fk in &t.outgoing {
        let matches: Vec<String> =
            fk.columns.iter().zip(&fk.parent_columns).map(|(c, p)| format!("p.{} = b.{}", quote_ident(p), quote_ident(c))).collect();
        let present: Vec<String> = fk.columns.iter().map(|c| format!("b.{} IS NOT NULL", quote_ident(c))).collect();
        assert_sql(
            out,
            &format!(
                "EXISTS (SELECT 1 FROM {backup} AS b WHERE {} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {}))",
                present.join(" AND "),
                fk.parent,
                matches.join(" AND ")
            ),
            &format!(
                "squashmate {script}: rows of {backup} reference rows of {} deleted since the surgery, so its foreign key {} cannot be made again; put those rows back or delete the referencing ones, then run the {script} again",
                fk.parent, fk.name
            ),
        );
    }
}

/// The checks before a retired column is put back: its saved values are there, the column is
/// not, and rows added since can take it.
pub(super) fn column_back_checks(out: &mut String, input: &ScriptInput<'_>, c: &RetiredColumn, script: &str) {
    let backup = input.column_backup(c);
    assert_sql(out, &format!("{} IS NULL", regclass(&backup)), &format!("squashmate {script}: the saved values {backup} are missing"));
    assert_sql(
        out,
        &format!("{} IS NOT NULL", column_type(&c.name.table, &c.name.column)),
        &format!("squashmate {script}: column {} exists again", col(c)),
    );
    if c.not_null && c.default.is_none() {
        let on: Vec<String> = c.key.iter().map(|k| format!("t.{k} = b.{k}", k = quote_ident(k))).collect();
        assert_sql(
            out,
            &format!(
                "EXISTS (SELECT 1 FROM {} AS t WHERE NOT EXISTS (SELECT 1 FROM {backup} AS b WHERE {}))",
                c.name.table,
                on.join(" AND ")
            ),
            &format!(
                "squashmate {script}: {} has rows added after the surgery with no saved value for {}, which is NOT NULL without a default; delete or move those rows, then run the {script} again",
                c.name.table,
                quote_ident(&c.name.column)
            ),
        );
    }
}

/// Retired columns re-added with their type, collation and default, values restored by row
/// key, then NOT NULL, constraints, indexes, comment and privileges; the saved values dropped.
fn restore_columns(out: &mut String, input: &ScriptInput<'_>) {
    for c in &input.details.columns {
        restore_column(out, input, c);
    }
}

/// One retired column put back (see [`restore_columns`]).
pub(super) fn restore_column(out: &mut String, input: &ScriptInput<'_>, c: &RetiredColumn) {
    let backup = input.column_backup(c);
    let collate = c.collation.as_ref().map(|co| format!(" COLLATE {co}")).unwrap_or_default();
    // With its default, rows added since the surgery get what an insert would have given them.
    let default = c.default.as_ref().map(|d| format!(" DEFAULT {d}")).unwrap_or_default();
    let _ = writeln!(out, "ALTER TABLE {} ADD COLUMN {} {}{collate}{default};", c.name.table, quote_ident(&c.name.column), c.type_sql);
    let on: Vec<String> = c.key.iter().map(|k| format!("t.{k} = b.{k}", k = quote_ident(k))).collect();
    let update = format!(
        "UPDATE {} AS t SET {col} = b.{col} FROM {backup} AS b WHERE {};",
        c.name.table,
        on.join(" AND "),
        col = quote_ident(&c.name.column)
    );
    without_user_triggers(out, &c.name.table, &update);
    if c.not_null {
        let _ = writeln!(out, "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", c.name.table, quote_ident(&c.name.column));
    }
    for k in &c.constraints {
        let _ = writeln!(out, "ALTER TABLE {} ADD CONSTRAINT {} {};", k.table, quote_ident(&k.name), k.definition);
    }
    for i in &c.indexes {
        let _ = writeln!(out, "{};", i.definition);
    }
    if let Some(comment) = &c.comment {
        let _ = writeln!(out, "COMMENT ON COLUMN {} IS {};", col(c), quote_literal(comment));
    }
    for g in &c.grants {
        let _ = writeln!(
            out,
            "GRANT {} ({}) ON TABLE {} TO {}{};",
            g.privilege,
            quote_ident(&c.name.column),
            c.name.table,
            g.grantee,
            g.option()
        );
    }
    let _ = writeln!(out, "DROP TABLE {backup};\n");
}

/// Runs `statement` on `table` with the table's user triggers off (those enabled, each put back
/// in its state after): putting saved values back is not an application's write, so no
/// `updated_at` trigger may rewrite the rows. Only this transaction sees the triggers off; the
/// table is locked already.
fn without_user_triggers(out: &mut String, table: &TableName, statement: &str) {
    let name = quote_literal(&table.sql());
    let _ = writeln!(out, "-- The saved values go back with {table}'s own triggers off (and each put back as it was).");
    let _ = writeln!(out, "DO $squashmate$\nDECLARE\n  sqm_names text[];\n  sqm_states text[];\nBEGIN");
    let _ = writeln!(
        out,
        "  SELECT coalesce(array_agg(tgname::text ORDER BY tgname), '{{}}'), coalesce(array_agg(tgenabled::text ORDER BY tgname), '{{}}') INTO sqm_names, sqm_states\n    FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass({name}) AND NOT tgisinternal AND tgenabled <> 'D';"
    );
    let _ = writeln!(
        out,
        "  FOR sqm_i IN 1 .. coalesce(array_length(sqm_names, 1), 0) LOOP\n    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', {name}, sqm_names[sqm_i]);\n  END LOOP;"
    );
    let _ = writeln!(out, "  {statement}");
    let _ = writeln!(
        out,
        "  FOR sqm_i IN 1 .. coalesce(array_length(sqm_names, 1), 0) LOOP\n    EXECUTE format('ALTER TABLE %s ENABLE %s TRIGGER %I', {name}, CASE sqm_states[sqm_i] WHEN 'A' THEN 'ALWAYS' WHEN 'R' THEN 'REPLICA' ELSE '' END, sqm_names[sqm_i]);\n  END LOOP;\nEND\n$squashmate$;"
    );
}

/// Takes every lock the `script` needs before it changes anything: ACCESS EXCLUSIVE on the
/// `tables` it alters (those that exist) and SHARE ROW EXCLUSIVE on the ledger. No kept table
/// is held while the script waits for another one: each attempt takes the locks in name order,
/// each only if it comes within a short wait (`lock_timeout` / 10, at most 100 ms); when one
/// does not, the attempt gives every lock back, and the next attempt first waits for that busy
/// table alone — at most `lock_timeout`, and application queries queue only behind that one —
/// then takes the others the same way. Between attempts it pauses (longer each time) and it
/// fails, having changed nothing, when the retries run out. Plain PL/pgSQL, so it works when
/// the script is run with `psql -f`.
pub fn lock_up_front(out: &mut String, script: &str, locks: &LockPolicy, mut tables: Vec<String>, ledger: &str) {
    tables.sort();
    tables.dedup();
    let timeout_ms = locks.lock_timeout.as_millis();
    let sweep_ms = (timeout_ms / 10).clamp(1, 100);
    let list = tables.iter().map(|t| quote_literal(t)).collect::<Vec<_>>().join(", ");
    let ledger_text = quote_literal(ledger);
    let _ = writeln!(out, "-- Data copies and every other statement get at most this long.");
    let _ = writeln!(out, "SET LOCAL statement_timeout = '{}ms';\n", locks.statement_timeout.as_millis());
    let _ = writeln!(
        out,
        "-- Every lock is taken up front. No table is held while another is waited for: the locks are taken\n-- in name order, each only within {sweep_ms} ms; a busy one makes the attempt give every lock back, and\n-- the next attempt waits for that one alone, at most {timeout_ms} ms (application queries queue behind a\n-- waiting lock), with up to {} retries and a growing pause between them.",
        locks.lock_retries
    );
    let _ = writeln!(
        out,
        "DO $squashmate$\nDECLARE\n  attempt integer := 0;\n  tables text[];\n  lock_target text;\n  busy_table text;\nBEGIN"
    );
    let _ = writeln!(
        out,
        "  SELECT coalesce(array_agg(t ORDER BY n), '{{}}') INTO tables FROM unnest(ARRAY[{list}]::text[]) WITH ORDINALITY AS l(t, n) WHERE to_regclass(t) IS NOT NULL;\n  IF to_regclass({ledger_text}) IS NOT NULL THEN\n    tables := tables || {ledger_text}::text;\n  END IF;"
    );
    let _ = writeln!(out, "  LOOP\n    BEGIN");
    let lock = |name: &str| {
        format!(
            "EXECUTE 'LOCK TABLE ' || {name} || CASE WHEN {name} = {ledger_text} THEN ' IN SHARE ROW EXCLUSIVE MODE' ELSE ' IN ACCESS EXCLUSIVE MODE' END;"
        )
    };
    let _ = writeln!(
        out,
        "      IF busy_table IS NOT NULL THEN\n        lock_target := busy_table;\n        PERFORM set_config('lock_timeout', '{timeout_ms}ms', true);\n        {}\n      END IF;",
        lock("busy_table")
    );
    let _ = writeln!(
        out,
        "      PERFORM set_config('lock_timeout', '{sweep_ms}ms', true);\n      FOREACH lock_target IN ARRAY tables LOOP\n        {}\n      END LOOP;\n      EXIT;",
        lock("lock_target")
    );
    let _ = writeln!(out, "    EXCEPTION WHEN lock_not_available THEN\n      busy_table := lock_target;\n      attempt := attempt + 1;");
    let _ = writeln!(
        out,
        "      IF attempt > {retries} THEN\n        RAISE EXCEPTION 'squashmate {script}: could not take its locks in {attempts} attempts (waiting up to {timeout_ms} ms for a busy table): another session holds %; nothing was changed', busy_table\n          USING HINT = 'find it in pg_locks/pg_stat_activity, or run the script again later (lock_timeout and lock_retries in db/squash.toml)';\n      END IF;",
        retries = locks.lock_retries,
        attempts = locks.lock_retries + 1,
    );
    let _ = writeln!(
        out,
        "      RAISE NOTICE 'squashmate {script}: % is busy (attempt % of {}); every lock given back, retrying', busy_table, attempt;",
        locks.lock_retries + 1
    );
    let _ = writeln!(out, "      PERFORM pg_sleep(least(0.05 * 2 ^ attempt, 2));\n    END;\n  END LOOP;\nEND\n$squashmate$;\n");
}

fn shell_table(schema: &str, table: &str) -> String {
    format!("'{}.{}'", quote_ident(schema).replace('\'', "'\\''"), quote_ident(table).replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    //! The script writers are pure: their output for a fixed set of retired objects is pinned
    //! by snapshots, without a server (the end-to-end squash tests prove the scripts run).

    use super::*;
    use crate::squash::inspect::{CommentChange, Grant, Named, OutgoingKey, RetiredTable, RetiredView, TableTrigger};
    use crate::squash::plan::ColumnName;

    fn table(schema: &str, name: &str) -> TableName {
        TableName { schema: schema.into(), name: name.into() }
    }

    fn details() -> Details {
        Details {
            tables: vec![RetiredTable {
                name: table("public", "legacy_parent"),
                incoming: vec![Named {
                    table: table("public", "keeps_pointing"),
                    name: "keeps_pointing_parent_id_fkey".into(),
                    definition: "FOREIGN KEY (parent_id) REFERENCES public.legacy_parent(id) ON DELETE SET NULL".into(),
                }],
                outgoing: vec![OutgoingKey {
                    name: "legacy_parent_owner_fkey".into(),
                    definition: "FOREIGN KEY (owner_id) REFERENCES public.owners(id) ON DELETE CASCADE".into(),
                    parent: table("public", "owners"),
                    columns: vec!["owner_id".into()],
                    parent_columns: vec!["id".into()],
                }],
                triggers: vec![TableTrigger {
                    name: "legacy_parent_touch".into(),
                    definition: "CREATE TRIGGER legacy_parent_touch BEFORE UPDATE ON public.legacy_parent FOR EACH ROW EXECUTE FUNCTION public.touch()".into(),
                    state: Some("ENABLE ALWAYS"),
                    comment: None,
                }],
                shape: "id bigint, owner_id bigint, label text".into(),
                views: vec![table("public", "legacy_parent_labels")],
            }],
            columns: vec![RetiredColumn {
                name: ColumnName { table: table("public", "tenant_items"), column: "legacy note".into() },
                type_sql: "text".into(),
                collation: None,
                default: Some("'n/a'::text".into()),
                not_null: false,
                key: vec!["tenant_id".into(), "item_no".into()],
                indexes: vec![Named {
                    table: table("public", "tenant_items"),
                    name: "tenant_items_legacy_note_idx".into(),
                    definition: "CREATE INDEX tenant_items_legacy_note_idx ON public.tenant_items USING btree (\"legacy note\")".into(),
                }],
                views: vec![],
                constraints: vec![],
                comment: Some("Free text".into()),
                grants: vec![Grant { privilege: "SELECT".into(), grantee: "\"App Reader\"".into(), grantable: true }],
            }],
            views: vec![RetiredView {
                name: table("public", "legacy_parent_labels"),
                kind: "view",
                definition: " SELECT id, label FROM public.legacy_parent;".into(),
                comment: None,
                owner: Some("reporting_owner".into()),
                grants: vec![Grant { privilege: "SELECT".into(), grantee: "PUBLIC".into(), grantable: false }],
            }],
            comments: vec![CommentChange { target: "TABLE public.events".into(), old: None, new: "Append-only log.".into() }],
        }
    }

    #[test]
    fn surgery_and_rollback_are_pinned() {
        let details = details();
        let ledger = LedgerTable::quoted_locally("public", "schema_migrations");
        let squashed = ["20240101000000".to_string(), "20240201000000".to_string()];
        let input = ScriptInput {
            details: &details,
            squashed: &squashed,
            baseline_version: "00000000000000",
            ledger: &ledger,
            backup: BackupStyle::Schema,
            date: "20260101",
            locks: LockPolicy::default(),
        };
        insta::assert_snapshot!("unit_surgery", surgery(&input));
        insta::assert_snapshot!("unit_rollback", rollback(&input));
    }
}
