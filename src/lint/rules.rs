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
        }
        problems.sort_by_key(|p| p.offset);
        diagnostics.extend(problems.into_iter().map(|p| file.source.diagnostic(p)));
    }
    diagnostics.extend(duplicate_versions(&found.files));
    diagnostics.sort_by(|a, b| (&a.path, a.location).cmp(&(&b.path, b.location)));
    diagnostics
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
        }
    }
    problems
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
}
