//! The lint rules: pure checks over discovered migrations, returning every finding.

use std::collections::BTreeMap;

use crate::migration::{Block, Direction, Discovery, MigrationFile, Part, Problem};
use crate::report::Diagnostic;

/// Every problem in `found`, in file order.
pub fn lint(found: &Discovery) -> Vec<Diagnostic> {
    let mut diagnostics = found.rejected.clone();
    for file in &found.files {
        let mut problems = file.problems.clone();
        if file.statements_parsed {
            problems.extend(transaction_problems(file));
            problems.extend(declared_check_problems(file));
        }
        problems.sort_by_key(|p| p.offset);
        diagnostics.extend(problems.into_iter().map(|p| file.source.diagnostic(p)));
    }
    diagnostics.extend(duplicate_versions(&found.files));
    diagnostics.sort_by(|a, b| (&a.path, a.location).cmp(&(&b.path, b.location)));
    diagnostics
}

/// `-- squashmate:check NAME: SQL` comments whose SQL is not one query that parses.
fn declared_check_problems(file: &MigrationFile) -> Vec<Problem> {
    crate::checks::checks(file)
        .into_iter()
        .filter_map(|check| {
            let crate::checks::Probe::Query { sql } = &check.probe else { return None };
            let why = match pg_query::parse(sql, 0) {
                Err(e) => e.to_string(),
                Ok(parsed)
                    if parsed.protobuf.stmts.len() == 1
                        && matches!(
                            parsed.protobuf.stmts[0].stmt.as_ref().and_then(|n| n.node.as_ref()),
                            Some(pg_query::NodeEnum::SelectStmt(_))
                        ) =>
                {
                    return None;
                }
                Ok(_) => "it is not one query (SELECT … returning the rows that break the rule)".to_string(),
            };
            Some(
                Problem::at(
                    check.offset,
                    "declared-check",
                    format!("the SQL of check {} does not run: {why}", check.name),
                    "write one query after `NAME:` that returns the offending rows (none when all is well)",
                )
                .in_part(Part::Up),
            )
        })
        .collect()
}

/// Empty up blocks, and statements that cannot run in the transaction their block runs in.
fn transaction_problems(file: &MigrationFile) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(second) = file.sections.get(1) {
        // squashmate applies the file as one unit; dbmate inserts the version once per block.
        problems.push(
            Problem::at(
                second.up.marker.start,
                "several-up-blocks",
                "a second `-- migrate:up` block: dbmate 2.36 records the file's version once per block, so this block fails on the ledger's key there (squashmate applies the file as one unit)",
                "if dbmate also runs this chain, move each block into a migration file of its own",
            )
            .warning()
            .in_part(Part::File),
        );
    }
    for section in &file.sections {
        if section.up.statements.is_empty() && !has_unparsable_body(file, &section.up) {
            // dbmate applies such a file and records its version: worth a warning, no more.
            problems.push(
                Problem::at(
                    section.up.marker.start,
                    "empty-up",
                    "this `-- migrate:up` block has no SQL statement (dbmate applies it and records the version)",
                    "add the migration's SQL, or leave it if recording the version is all it should do",
                )
                .warning()
                .in_part(Part::Up),
            );
        }
        for block in [&section.up, &section.down] {
            problems.extend(block_transaction_problems(block));
            problems.extend(session_search_path(file.source.text(), block));
        }
    }
    problems
}

/// A block that changes the session's `search_path` (`SET search_path` without `LOCAL`, or
/// `set_config('search_path', …, false)`): dbmate then writes (or deletes) the ledger row in
/// the new path's schema on the same session, and fails where that schema has no ledger.
/// squashmate qualifies its ledger and runs the file.
fn session_search_path(text: &str, block: &Block) -> Vec<Problem> {
    let direction = match block.direction {
        Direction::Up => "up",
        Direction::Down => "down",
    };
    block
        .statements
        .iter()
        .filter(|s| sets_session_search_path(&text[s.span.clone()]))
        .map(|s| {
            Problem::at(
                s.span.start,
                "session-search-path",
                format!(
                    "changes the session's search_path in a {direction} block: dbmate fails on this file (it then writes its ledger row into the new path's schema, e.g. `relation \"other.schema_migrations\" does not exist`)"
                ),
                "use `SET LOCAL search_path` (or set_config(…, true)) in a transactional block, or qualify the names instead",
            )
            .in_part(Part::DbmateOnly)
        })
        .collect()
}

/// Whether `sql` (one statement) sets `search_path` for the session.
fn sets_session_search_path(sql: &str) -> bool {
    if !sql.to_ascii_lowercase().contains("search_path") {
        return false;
    }
    let Ok(parsed) = pg_query::parse(sql, 0) else { return false };
    let node = parsed.protobuf.stmts.first().and_then(|s| s.stmt.as_ref()).and_then(|n| n.node.as_ref());
    if let Some(pg_query::NodeEnum::VariableSetStmt(set)) = node {
        return set.name == "search_path" && !set.is_local && set.kind == pg_query::protobuf::VariableSetKind::VarSetValue as i32;
    }
    // set_config('search_path', …, false) anywhere in a SELECT's target list.
    let text = sql.to_ascii_lowercase().replace(char::is_whitespace, "");
    text.contains("set_config('search_path'") && text.contains(",false)")
}

fn has_unparsable_body(file: &MigrationFile, block: &Block) -> bool {
    file.problems.iter().any(|p| p.offset.is_some_and(|o| block.body.contains(&o)))
}

fn block_transaction_problems(block: &Block) -> Vec<Problem> {
    let direction = match block.direction {
        Direction::Up => "up",
        Direction::Down => "down",
    };
    let part = block.direction.part();
    let mut problems = Vec::new();
    let transactional = block.options.transaction();
    for stmt in &block.statements {
        match stmt.needs_no_transaction {
            Some(what) if transactional => problems.push(Problem::at(
                stmt.span.start,
                "needs-transaction-false",
                format!("{what} cannot run inside a transaction block, and this {direction} block runs in one"),
                format!("move it into its own block marked `-- migrate:{direction} transaction:false`"),
            )
            .in_part(part)),
            Some(what) if block.statements.len() > 1 => problems.push(Problem::at(
                stmt.span.start,
                "not-alone-without-transaction",
                format!(
                    "{what} must be the only statement of its `transaction:false` block: PostgreSQL runs a block of several statements as one implicit transaction"
                ),
                "put each such statement in a block of its own",
            )
            .in_part(part)),
            _ => {}
        }
        if stmt.is_transaction_control && transactional {
            // dbmate runs it (PostgreSQL warns on a nested BEGIN); a COMMIT ends the block's
            // transaction early, so the file is no longer one unit.
            problems.push(
                Problem::at(
                    stmt.span.start,
                    "transaction-control",
                    format!(
                        "transaction control inside a {direction} block that already runs in a transaction: a COMMIT here commits what came before it even if a later statement fails"
                    ),
                    format!(
                        "remove it, or mark the block `-- migrate:{direction} transaction:false` and manage the transaction yourself"
                    ),
                )
                .warning()
                .in_part(part),
            );
        }
    }
    problems
}

/// Two files with the same version, also across directories.
pub fn duplicate_versions(files: &[MigrationFile]) -> Vec<Diagnostic> {
    let mut by_version: BTreeMap<&str, Vec<&MigrationFile>> = BTreeMap::new();
    for file in files {
        by_version.entry(&file.version).or_default().push(file);
    }
    by_version
        .into_iter()
        .filter(|(_, same)| same.len() > 1)
        .flat_map(|(version, same)| {
            let first = same[0].path().display().to_string();
            same.into_iter().skip(1).map(move |file| {
                Diagnostic::for_path(
                    file.path(),
                    "duplicate-version",
                    format!("version {version} is also used by {first}; dbmate would apply only one of them"),
                    "give this migration a new version (e.g. recreate it with `squashmate new`)",
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::Way;

    fn codes(text: &str) -> Vec<String> {
        let file = MigrationFile::parse("1_x.sql", text.to_string()).unwrap();
        lint(&Discovery { files: vec![file], rejected: vec![] }).into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn transaction_rules() {
        assert_eq!(codes("-- migrate:up\ncreate index concurrently i on t (a);\n-- migrate:down\n"), ["needs-transaction-false"]);
        assert!(codes("-- migrate:up transaction:false\ncreate index concurrently i on t (a);\n-- migrate:down\n").is_empty());
        assert_eq!(
            codes(
                "-- migrate:up transaction:false\ncreate index concurrently i on t (a);\ncreate index concurrently j on t (b);\n-- migrate:down\n"
            ),
            ["not-alone-without-transaction", "not-alone-without-transaction"]
        );
        assert_eq!(codes("-- migrate:up\n-- nothing\n-- migrate:down\n"), ["empty-up"]);
        assert_eq!(
            codes("-- migrate:up\nbegin;\ncreate table t ();\ncommit;\n-- migrate:down\n"),
            ["transaction-control", "transaction-control"]
        );
    }

    #[test]
    fn a_session_search_path_is_an_error_dbmate_fails_on() {
        assert_eq!(codes("-- migrate:up\nset search_path to other;\n-- migrate:down\n"), ["session-search-path"]);
        assert_eq!(
            codes("-- migrate:up\nSELECT pg_catalog.set_config('search_path', 'other', false);\n-- migrate:down\n"),
            ["session-search-path"]
        );
        assert!(codes("-- migrate:up\nset local search_path to other;\nselect set_config('search_path', 'x', true);\nreset search_path;\n-- migrate:down\n").is_empty());
        let file = MigrationFile::parse("1_x.sql", "-- migrate:up\nset search_path = other;\n-- migrate:down\n".into()).unwrap();
        let found = lint(&Discovery { files: vec![file], rejected: vec![] });
        assert!(found[0].is_error() && !found[0].stops(Way::Up), "an error for lint and gate; squashmate's up runs the file");
    }
}
