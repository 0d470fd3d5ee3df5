//! A plan as people and machines read it, and as the dbmate migrations `--write` adds: the
//! main transactional file, a later file validating what was added `NOT VALID`, one
//! `transaction:false` file per `CREATE INDEX CONCURRENTLY`; each with the down that undoes it,
//! or a down that refuses with the reason.

use std::fmt::Write;

use super::model::{Block, Plan, Step};
use crate::sql::quote_literal;

/// The plan as text: each statement with its class and why.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    for step in &plan.steps {
        let _ = writeln!(out, "-- [{}] {}", step.class.as_str(), step.why);
        let _ = writeln!(out, "{};\n", step.sql);
    }
    for missing in &plan.unsupported {
        let _ = writeln!(out, "-- NOT PLANNED: {missing}");
    }
    let destructive = plan.destructive().len();
    let _ =
        writeln!(out, "{} statement(s), {destructive} destructive, {} difference(s) not planned", plan.steps.len(), plan.unsupported.len());
    out
}

/// The plan for a pull request (`--format markdown`): the summary, a table of the statements
/// with their class and why (what is not planned first), and the script, collapsed.
pub fn markdown(plan: &Plan) -> String {
    use crate::report::markdown::{cell, details, table};
    let destructive = plan.destructive().len();
    let mark = if !plan.unsupported.is_empty() || destructive > 0 {
        "❌"
    } else if plan.steps.is_empty() {
        "✅"
    } else {
        "⚠️"
    };
    let mut out = format!(
        "{mark} **plan: {} statement(s), {destructive} destructive, {} difference(s) not planned**\n\n",
        plan.steps.len(),
        plan.unsupported.len()
    );
    let mut rows: Vec<Vec<String>> = plan.unsupported.iter().map(|m| vec!["**not planned**".into(), cell(m)]).collect();
    rows.extend(plan.steps.iter().map(|step| vec![step.class.as_str().to_string(), cell(&step.why)]));
    if rows.is_empty() {
        return out;
    }
    out.push_str(&table("statements", &["Class", "Why"], &rows));
    out.push('\n');
    out.push_str(&details("The script", &format!("```sql\n{}```\n", sql(plan, true).replace("```", "``\u{200b}`"))));
    out
}

/// The script (`--format sql`), runnable as printed and as `--apply` runs it: each
/// transactional block in a transaction of its own with the preamble `--write` gives it, each
/// concurrent index on its own. Each difference the plan does not cover is named first, and
/// unless `allow_partial` the script raises there, before anything has changed.
pub fn sql(plan: &Plan, allow_partial: bool) -> String {
    let mut out = String::new();
    for missing in &plan.unsupported {
        let _ = writeln!(out, "-- NOT PLANNED: {missing}");
    }
    if let (Some(first), false) = (plan.unsupported.first(), allow_partial) {
        let reason = format!(
            "squashmate plan: {} difference(s) NOT PLANNED (first: {first}); this script would leave the database short of the target. Change those by hand, or print the rest with --allow-partial",
            plan.unsupported.len()
        );
        let _ = writeln!(out, "{}", raising(&reason));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let blocks: Vec<String> = files(plan).iter().map(|f| format!("-- {}\n{}", block_name(f.block), runnable(f))).collect();
    out + &blocks.join("\n")
}

/// A statement that fails with `reason` wherever it runs.
fn raising(reason: &str) -> String {
    format!("DO $raise$ BEGIN RAISE EXCEPTION '%', {}; END $raise$;", quote_literal(reason))
}

/// A planned file's up statements as they run outside dbmate: a transactional file's between
/// `BEGIN` and `COMMIT`.
pub fn runnable(file: &PlannedFile) -> String {
    match file.block {
        Block::Concurrently => up_sql(file),
        Block::Main | Block::Validate | Block::AfterIndexes => format!("BEGIN;\n{}COMMIT;\n", up_sql(file)),
    }
}

fn block_name(block: Block) -> &'static str {
    match block {
        Block::Main => "main (one transaction)",
        Block::Validate => "validations (a later transaction)",
        Block::Concurrently => "outside a transaction",
        Block::AfterIndexes => "after the indexes (a transaction after those outside one)",
    }
}

fn statements(steps: &[&Step]) -> String {
    steps.iter().map(|s| format!("{};\n", s.sql)).collect()
}

/// The steps grouped into blocks in the order they run: main, validations, each concurrent
/// index on its own, then what needs those indexes.
fn blocks(plan: &Plan) -> Vec<(Block, Vec<&Step>)> {
    let of = |block: Block| plan.steps.iter().filter(|s| s.block == block).collect::<Vec<_>>();
    let mut out: Vec<(Block, Vec<&Step>)> =
        [Block::Main, Block::Validate].into_iter().map(|b| (b, of(b))).filter(|(_, s)| !s.is_empty()).collect();
    out.extend(of(Block::Concurrently).into_iter().map(|s| (Block::Concurrently, vec![s])));
    out.extend(Some((Block::AfterIndexes, of(Block::AfterIndexes))).filter(|(_, s)| !s.is_empty()));
    out
}

/// How long a statement of a block that only changes the catalog may run: long enough for any
/// such change, short enough that one stuck behind something unforeseen gives up.
const CATALOG_STATEMENT_TIMEOUT: &str = "1min";

/// The statements a transactional block starts with: a bounded wait for locks, a bounded run
/// time unless a statement's grows with its table (then none, overriding a role's or database's
/// own, with the statement named), and function bodies left unchecked until the tables they
/// read exist (as pg_dump does).
fn block_preamble(steps: &[&Step]) -> String {
    let mut out = String::from("SET LOCAL lock_timeout = '5s';\n");
    let statements: Vec<&str> = steps.iter().map(|s| s.sql.as_str()).collect();
    match crate::hazards::first_long_running(&statements) {
        None => {
            let _ = writeln!(out, "SET LOCAL statement_timeout = '{CATALOG_STATEMENT_TIMEOUT}';");
        }
        Some(long) => {
            let first_line = long.lines().next().unwrap_or(long);
            let _ = writeln!(out, "SET LOCAL statement_timeout = 0; -- runs as long as its table is big: {first_line}");
        }
    }
    if steps.iter().any(|s| s.sql.starts_with("CREATE OR REPLACE FUNCTION") || s.sql.starts_with("CREATE OR REPLACE PROCEDURE")) {
        out.push_str("SET LOCAL check_function_bodies = off;\n");
    }
    out
}

/// One migration file of a written plan (dbmate 2.36 records a file's version once per
/// `-- migrate:up` block, so a second block in one file fails on the ledger's key: each block
/// the plan needs is a file of its own, applied in order).
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Added to the migration's name: `` (main), `_validate`, `_index_<name>`.
    pub suffix: String,
    /// Where its steps run.
    pub block: Block,
    /// Its statements.
    pub steps: Vec<Step>,
}

/// The files of a plan, in the order they apply.
pub fn files(plan: &Plan) -> Vec<PlannedFile> {
    blocks(plan)
        .into_iter()
        .map(|(block, steps)| PlannedFile {
            suffix: match block {
                Block::Main => String::new(),
                Block::Validate => "_validate".into(),
                Block::Concurrently if steps[0].sql.starts_with("DROP") => format!("_drop_index_{}", index_name(&steps[0].sql)),
                Block::Concurrently => format!("_index_{}", index_name(&steps[0].sql)),
                Block::AfterIndexes => "_after_indexes".into(),
            },
            block,
            steps: steps.into_iter().cloned().collect(),
        })
        .collect()
}

/// `CREATE INDEX CONCURRENTLY name ON …` or `DROP INDEX CONCURRENTLY schema.name` → `name`,
/// for a file name: quotes taken off, what is not a letter, digit or `_` made `_`.
fn index_name(sql: &str) -> String {
    let after = sql.split_once(" CONCURRENTLY ").map_or("", |(_, rest)| rest);
    // The (qualified) name: up to the first space outside double quotes.
    let (mut quoted, mut end) = (false, after.len());
    for (at, c) in after.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                end = at;
                break;
            }
            _ => {}
        }
    }
    let name = crate::sql::parse_qualified(&after[..end]).ok().and_then(|parts| parts.last().cloned()).unwrap_or_else(|| "index".into());
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// A file's text: its up block and `down` (the way back from after it to before it, plain
/// forms), or a down that refuses with the reason when no inverse exists.
pub fn file_text(file: &PlannedFile, down: &Plan) -> String {
    let mut out = String::from(if file.block == Block::Concurrently { "-- migrate:up transaction:false\n" } else { "-- migrate:up\n" });
    out.push_str(&up_sql(file));
    out.push_str("\n-- migrate:down\n");
    out.push_str(&down_block(down));
    out
}

/// A file's up statements, each after its class and why (a transactional file's start with
/// its preamble).
fn up_sql(file: &PlannedFile) -> String {
    let steps: Vec<&Step> = file.steps.iter().collect();
    let mut out = declared_checks(&steps);
    out.push_str(&if file.block == Block::Concurrently { String::new() } else { block_preamble(&steps) });
    for step in &steps {
        let _ = writeln!(out, "-- [{}] {}", step.class.as_str(), step.why.replace('\n', " "));
        let _ = writeln!(out, "{};", step.sql);
    }
    out
}

/// A `-- squashmate:check` for each CHECK the file replaces (drops, and adds again `NOT VALID`
/// under the same name, validated by a later file) on columns that are there before it: the
/// rows the new one would reject, checked before this file changes anything — so a changed
/// CHECK list stops here, the old constraint still in place, rather than at the validation.
fn declared_checks(steps: &[&Step]) -> String {
    let mut out = String::new();
    for (table, name, query) in steps.iter().filter_map(|s| crate::checks::rows_a_new_check_rejects(&s.sql)) {
        let alters = format!("ALTER TABLE {table} ");
        let replaces = steps.iter().any(|s| s.sql == format!("{alters}DROP CONSTRAINT {}", crate::sql::quote_ident_if_needed(&name)));
        let adds_columns = steps.iter().any(|s| s.sql.starts_with(&format!("{alters}ADD COLUMN")));
        if replaces && !adds_columns {
            let label: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect();
            let _ = writeln!(out, "-- squashmate:check {label}: {}", query.replace('\n', " "));
        }
    }
    out
}

fn down_block(down: &Plan) -> String {
    if !down.unsupported.is_empty() {
        return format!("{}\n", raising(&format!("this migration cannot be undone automatically: {}", down.unsupported.join("; "))));
    }
    let steps: Vec<&Step> = down.steps.iter().collect();
    if steps.is_empty() {
        return "-- nothing to undo\n".into();
    }
    format!("{}{}", block_preamble(&steps), statements(&steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concurrent_files_name_comes_from_its_index() {
        assert_eq!(index_name("CREATE INDEX CONCURRENTLY logs_at_idx ON public.logs USING btree (at)"), "logs_at_idx");
        assert_eq!(index_name("CREATE UNIQUE INDEX CONCURRENTLY \"Logs id, \"\"level\"\"\" ON public.logs (id)"), "Logs_id___level_");
        assert_eq!(index_name("DROP INDEX CONCURRENTLY \"a.b\".\"Logs id\""), "Logs_id");
    }
}
