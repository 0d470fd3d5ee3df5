//! `lint --hazards`: what each up block will lock, rewrite, scan or break on a live database,
//! found statically, knowing dbmate's transaction rules and what the chain built before. A
//! `-- squashmate:allow RULE reason` comment on the line before a statement silences that
//! rule there (the reason is kept in the report).

mod model;
mod rules;

use pg_query::NodeEnum;

use crate::migration::{Discovery, MigrationFile, Part, Problem, allow_comments};
use crate::report::Diagnostic;
use model::Model;
use rules::{BlockContext, FileContext, check};

/// A hazard silenced by an allow comment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Allowed {
    /// The rule.
    pub code: String,
    /// `path:line:col` of the statement.
    pub place: String,
    /// The reason the comment gives.
    pub reason: String,
}

/// Every hazard of the chain's up blocks, and those allowed by a comment.
#[derive(Debug, Clone, Default)]
pub struct Hazards {
    /// The hazards, as warnings located in their files.
    pub findings: Vec<Diagnostic>,
    /// The silenced ones.
    pub allowed: Vec<Allowed>,
}

/// Reads the up blocks of `found` in order (statements must be parsed).
pub fn hazards(found: &Discovery) -> Hazards {
    let mut model = Model::default();
    let mut out = Hazards::default();
    for file in &found.files {
        file_hazards(file, &mut model, &mut out);
    }
    out
}

fn file_hazards(file: &MigrationFile, model: &mut Model, out: &mut Hazards) {
    let text = file.source.text();
    let mut context = FileContext::default();
    for section in &file.sections {
        let mut block = BlockContext::default();
        for statement in &section.up.statements {
            let Ok(parsed) = pg_query::parse(&text[statement.span.clone()], 0) else { continue };
            let Some(node) = parsed.protobuf.stmts.first().and_then(|s| s.stmt.as_ref()).and_then(|n| n.node.as_ref()) else {
                continue;
            };
            let allowed = allow_comments(text, statement.span.start);
            for finding in check(node, model, &mut context, &mut block) {
                let problem = Problem::at(statement.span.start, finding.rule, finding.message, finding.next).warning().in_part(Part::Up);
                let diagnostic = file.source.diagnostic(problem);
                match allowed.iter().find(|(rule, _)| rule == finding.rule) {
                    Some((_, reason)) => {
                        out.allowed.push(Allowed { code: finding.rule.into(), place: diagnostic.place(), reason: reason.clone() })
                    }
                    None => out.findings.push(diagnostic),
                }
            }
            model.apply(node);
        }
    }
}

/// The hazards that make a statement run as long as its table is big (a rewrite, a scan, an
/// index build), as opposed to those that only lock.
const LONG_RUNNING: [&str; 4] = ["table-rewrite", "rewrite-unless-utc", "full-scan-under-lock", "blocking-index"];

/// The first statement of one transactional block (statements in order, parsed on a model
/// that knows nothing before them) whose run time grows with a table: a rewrite, a scan under
/// lock, an index build, a validation, a materialized view filled. `None`: every statement
/// only changes the catalog, so a short `statement_timeout` is safe for the block.
pub fn first_long_running<'s>(statements: &[&'s str]) -> Option<&'s str> {
    let model = Model::default();
    let (mut file, mut block) = (FileContext::default(), BlockContext::default());
    statements.iter().copied().find(|sql| {
        let Ok(parsed) = pg_query::parse(sql, 0) else { return true };
        parsed.protobuf.stmts.iter().filter_map(|s| s.stmt.as_ref().and_then(|n| n.node.as_ref())).any(|node| {
            let builds =
                matches!(node, NodeEnum::IndexStmt(_) | NodeEnum::ReindexStmt(_) | NodeEnum::ClusterStmt(_) | NodeEnum::VacuumStmt(_));
            let fills = matches!(node, NodeEnum::RefreshMatViewStmt(_) | NodeEnum::CreateTableAsStmt(_));
            let validates = matches!(node, NodeEnum::AlterTableStmt(a) if a.cmds.iter().any(|c| matches!(&c.node,
                Some(NodeEnum::AlterTableCmd(cmd)) if cmd.subtype == pg_query::protobuf::AlterTableType::AtValidateConstraint as i32)));
            let found = check(node, &model, &mut file, &mut block);
            fills || validates || found.iter().any(|f| LONG_RUNNING.contains(&f.rule) && (f.rule != "blocking-index" || builds))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(files: &[(&str, &str)]) -> Vec<String> {
        let files = files.iter().map(|(name, text)| MigrationFile::parse(*name, text.to_string()).expect("a migration name")).collect();
        hazards(&Discovery { files, rejected: Vec::new() }).findings.into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn long_running_statements_are_told_from_catalog_changes() {
        let quick = [
            "ALTER TABLE public.t ADD COLUMN b int",
            "CREATE TABLE public.n (a int)",
            "CREATE INDEX n_a ON public.n (a)",
            "DROP INDEX public.i",
        ];
        assert_eq!(first_long_running(&quick), None, "an index on a table made in the block, a drop: catalog only");
        for long in [
            "ALTER TABLE public.t ALTER COLUMN a TYPE bigint",
            "ALTER TABLE public.t VALIDATE CONSTRAINT c",
            "ALTER TABLE public.t ADD PRIMARY KEY (a)",
            "CREATE INDEX i ON public.t (a)",
            "REFRESH MATERIALIZED VIEW public.m",
            "CREATE MATERIALIZED VIEW public.m AS SELECT 1",
        ] {
            assert_eq!(first_long_running(&["ALTER TABLE public.t ADD COLUMN b int", long]), Some(long));
        }
    }

    #[test]
    fn a_table_this_file_created_is_safe_to_alter() {
        let new =
            "-- migrate:up\ncreate table t (a int);\nalter table t alter column a type bigint;\ncreate index on t (a);\n-- migrate:down\n";
        assert!(rules_of(&[("1_t.sql", new)]).is_empty());
        let base = "-- migrate:up\ncreate table t (a int);\n-- migrate:down\n";
        let later = "-- migrate:up\nset lock_timeout = '2s';\nalter table t alter column a type bigint;\n-- migrate:down\n";
        assert_eq!(rules_of(&[("1_t.sql", base), ("2_t.sql", later)]), ["table-rewrite"]);
    }

    #[test]
    fn a_table_moved_or_renamed_in_its_file_stays_new_and_keeps_its_columns() {
        let moved = "-- migrate:up\ncreate schema a;\ncreate table t (v varchar(5));\nalter table t set schema a;\nalter table a.t rename to u;\n\
                     alter table a.u alter column v type bigint using v::bigint;\ncreate index on a.u (v);\n-- migrate:down\n";
        assert!(rules_of(&[("1_t.sql", moved)]).is_empty());
        let base = "-- migrate:up\ncreate schema a;\ncreate table t (v varchar(5));\nalter table t set schema a;\n-- migrate:down\n";
        let widen = "-- migrate:up\nset lock_timeout = '2s';\nalter table a.t alter column v type varchar(9);\n-- migrate:down\n";
        assert!(rules_of(&[("1_t.sql", base), ("2_t.sql", widen)]).is_empty(), "the moved table's varchar(5) is known");
    }

    #[test]
    fn an_allow_comment_silences_one_rule_and_keeps_its_reason() {
        let base = "-- migrate:up\ncreate table t (a int);\n-- migrate:down\n";
        let later = "-- migrate:up\nset lock_timeout = '2s';\n-- squashmate:allow table-rewrite the table has 12 rows\nalter table t alter column a type bigint;\n-- migrate:down\n";
        let files: Vec<MigrationFile> =
            [("1_t.sql", base), ("2_t.sql", later)].iter().map(|(n, t)| MigrationFile::parse(*n, t.to_string()).unwrap()).collect();
        let found = hazards(&Discovery { files, rejected: Vec::new() });
        assert!(found.findings.is_empty(), "{:?}", found.findings);
        assert_eq!(
            found.allowed,
            [Allowed { code: "table-rewrite".into(), place: "2_t.sql:4:1".into(), reason: "the table has 12 rows".into() }]
        );
    }
}
