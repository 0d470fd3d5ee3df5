//! Statements of a block, found with PostgreSQL's own parser (pg_query): each statement keeps
//! its byte span in the file, and each is parsed on its own so an error points at its place.

use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ReindexObjectType, Token};

use super::parse_error::parse_error;
use crate::report::Problem;
use crate::sql::quote_ident;

/// One SQL statement of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte range in the file, from its first token to its end (without the `;`).
    pub span: Range<usize>,
    /// Why PostgreSQL refuses to run it inside a transaction block, if it does.
    pub needs_no_transaction: Option<&'static str>,
    /// Whether it is transaction control (`BEGIN`, `COMMIT`, …).
    pub is_transaction_control: bool,
    /// For `CREATE INDEX CONCURRENTLY name ON table`: what an interrupted run may leave behind.
    pub concurrent_index: Option<ConcurrentIndex>,
}

/// The index a `CREATE INDEX CONCURRENTLY` makes, so a re-run after an interruption can find
/// an index left behind (valid, or invalid after a failed build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrentIndex {
    /// The index name.
    pub name: String,
    /// The table, as SQL text for `to_regclass` (quoted parts).
    pub table: String,
}

/// Splits the block `body` of `text` into statements; problems for those that do not parse.
///
/// The fast path keeps big data migrations cheap in time and memory: PostgreSQL's scanner
/// finds the statements, and each is checked by the raw parser alone (no parse tree is kept,
/// none is built for the whole block); only utility statements — the only kind that can refuse
/// a transaction or control one — are parsed in full. Whatever the fast path cannot vouch for
/// (a syntax error, or a scanner split inside `BEGIN ATOMIC … END`) is read the exact way.
pub fn split_statements(text: &str, body: Range<usize>) -> (Vec<Statement>, Vec<Problem>) {
    match fast_split(text, body.clone()) {
        Some(statements) => (statements, Vec::new()),
        None => exact_split(text, body),
    }
}

/// `text` in the pieces a session must run one by one for every statement to run at all: the
/// statements that may share a transaction together, each that refuses one (`CREATE INDEX
/// CONCURRENTLY`, …) alone, in order. The whole text as one piece where none refuses (or a
/// statement does not parse: running it says where).
pub fn transaction_runs(text: &str) -> Vec<&str> {
    let (statements, problems) = split_statements(text, 0..text.len());
    if !problems.is_empty() || statements.iter().all(|s| s.needs_no_transaction.is_none()) {
        return vec![text];
    }
    let mut runs = Vec::new();
    let mut shared: Option<Range<usize>> = None;
    for statement in &statements {
        match (&mut shared, statement.needs_no_transaction) {
            (_, Some(_)) => {
                runs.extend(shared.take().map(|r| &text[r]));
                runs.push(&text[statement.span.clone()]);
            }
            (Some(run), None) => run.end = statement.span.end,
            (None, None) => shared = Some(statement.span.clone()),
        }
    }
    runs.extend(shared.map(|r| &text[r]));
    runs
}

/// How much of a block the scanner reads at once: PostgreSQL's scanner copies its input, so a
/// many-megabyte block is read in slices that end at a line ending with `;`.
const SCAN_SLICE: usize = 1 << 20;

/// Scanner pieces, each checked on its own; `None` when one is not exactly one valid statement.
fn fast_split(text: &str, body: Range<usize>) -> Option<Vec<Statement>> {
    let mut statements = Vec::new();
    let mut start = body.start;
    let mut end = slice_end(text, start, body.end);
    while start < body.end {
        match scan_slice(text, start..end)? {
            Some(found) => {
                statements.extend(found);
                start = end;
                end = slice_end(text, start, body.end);
            }
            // The slice ended inside a string, a dollar-quoted body or a comment: read more.
            None if end < body.end => end = slice_end(text, end, body.end),
            None => return None,
        }
    }
    Some(statements)
}

/// Where a slice starting at `start` ends: after the first line ending with `;` once
/// [`SCAN_SLICE`] bytes are read, or at `end`.
fn slice_end(text: &str, start: usize, end: usize) -> usize {
    let from = start + SCAN_SLICE;
    if from >= end {
        return end;
    }
    let from = (from..end).find(|&i| text.is_char_boundary(i)).unwrap_or(end);
    text[from..end].find(";\n").map_or(end, |i| from + i + 2)
}

/// The statements of one slice: `Some(None)` when the scanner stopped inside a literal or
/// comment (the slice must grow), `None` when the fast path cannot vouch for a piece.
fn scan_slice(text: &str, slice: Range<usize>) -> Option<Option<Vec<Statement>>> {
    let sql = &text[slice.clone()];
    let Ok(pieces) = pg_query::split_with_scanner(sql) else { return Some(None) };
    let mut statements = Vec::with_capacity(pieces.len());
    let mut covered = 0;
    for piece in pieces {
        let range = offset_in(sql, piece)..offset_in(sql, piece) + piece.len();
        // The scanner skips what it cannot read: only separators may lie between pieces.
        if !only_separators(&sql[covered..range.start]) {
            return None;
        }
        covered = range.end;
        let start = range.start + leading_trivia_len(&sql[range.clone()]);
        if start >= range.end {
            continue;
        }
        let span = slice.start + start..slice.start + range.end;
        statements.push(checked_statement(text, span)?);
    }
    only_separators(&sql[covered..]).then_some(Some(statements))
}

/// One scanner piece checked: data statements (the bulk of a data migration) by the raw
/// parser alone, anything else parsed in full (it may refuse a transaction); `None` unless the
/// piece is exactly one valid statement.
fn checked_statement(text: &str, span: Range<usize>) -> Option<Statement> {
    let sql = &text[span.clone()];
    let first_word = sql.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("").to_ascii_lowercase();
    if matches!(first_word.as_str(), "insert" | "update" | "delete" | "select" | "with" | "values" | "merge") {
        match pg_query::is_utility_stmt(sql).ok()?.as_slice() {
            [false] => return Some(Statement::plain(span)),
            [true] => {}
            _ => return None,
        }
    }
    let parsed = pg_query::parse(sql, 0).ok()?;
    (parsed.protobuf.stmts.len() == 1).then(|| Statement::parsed(span, parsed))
}

/// Whether `gap` holds nothing but whitespace, comments and semicolons.
fn only_separators(gap: &str) -> bool {
    let mut rest = gap;
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        let skipped = leading_trivia_len(trimmed);
        if skipped == 0 {
            return trimmed.is_empty();
        }
        rest = &trimmed[skipped..];
    }
}

/// The exact way: the parser splits the block, each statement is parsed on its own so an
/// error points at its place.
fn exact_split(text: &str, body: Range<usize>) -> (Vec<Statement>, Vec<Problem>) {
    let sql = &text[body.clone()];
    let pieces = match pg_query::split_with_parser(sql) {
        Ok(pieces) => pieces.iter().map(|p| offset_in(sql, p)..offset_in(sql, p) + p.len()).collect::<Vec<_>>(),
        Err(_) => split_on_semicolons(sql),
    };
    let mut statements = Vec::new();
    let mut problems = Vec::new();
    for piece in pieces {
        let start = piece.start + leading_trivia_len(&sql[piece.clone()]);
        if start >= piece.end {
            continue;
        }
        let span = body.start + start..body.start + piece.end;
        let stmt_sql = &text[span.clone()];
        match pg_query::parse(stmt_sql, 0) {
            Ok(parsed) => statements.push(Statement::parsed(span, parsed)),
            Err(err) => {
                let located = parse_error(stmt_sql);
                let (message, cursor) = located.map(|e| (e.message, e.cursor)).unwrap_or_else(|| (err.to_string(), 0));
                let offset = span.start + stmt_sql.char_indices().nth(cursor.saturating_sub(1)).map_or(0, |(i, _)| i);
                problems.push(Problem::at(offset, "unparsable-sql", message, "fix the SQL here; PostgreSQL would reject this statement"));
            }
        }
    }
    (statements, problems)
}

impl Statement {
    /// A statement that is not a utility statement (SELECT, INSERT, UPDATE, DELETE, MERGE):
    /// it runs in any transaction.
    fn plain(span: Range<usize>) -> Self {
        Statement { span, needs_no_transaction: None, is_transaction_control: false, concurrent_index: None }
    }

    /// A statement read from its parse tree.
    fn parsed(span: Range<usize>, parsed: pg_query::ParseResult) -> Self {
        let node = parsed.protobuf.stmts.first().and_then(|s| s.stmt.as_ref()).and_then(|n| n.node.as_ref());
        Statement {
            span,
            needs_no_transaction: node.and_then(refuses_transaction_block),
            is_transaction_control: matches!(node, Some(NodeEnum::TransactionStmt(_))),
            concurrent_index: node.and_then(concurrent_index),
        }
    }
}

fn offset_in(outer: &str, inner: &str) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// Statement ranges split at top-level `;` tokens, for text the parser cannot split as a whole.
fn split_on_semicolons(sql: &str) -> Vec<Range<usize>> {
    let Ok(tokens) = pg_query::scan_tokens(sql) else {
        return std::iter::once(0..sql.len()).collect();
    };
    let mut ranges = Vec::new();
    let mut start = 0;
    for token in tokens.iter().filter(|t| t.token == Token::Ascii59 as i32) {
        let end = usize::try_from(token.start).unwrap_or(0);
        ranges.push(start..end);
        start = end + 1;
    }
    ranges.push(start..sql.len());
    ranges
}

/// Bytes of whitespace and comments before a statement's first token.
fn leading_trivia_len(sql: &str) -> usize {
    let mut rest = sql;
    loop {
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix("--") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if trimmed.starts_with("/*") {
            rest = &trimmed[block_comment_len(trimmed)..];
        } else {
            return sql.len() - trimmed.len();
        }
    }
}

/// Length of the (possibly nested) `/* … */` comment at the start of `sql`.
fn block_comment_len(sql: &str) -> usize {
    let mut depth = 0usize;
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    sql.len()
}

/// PostgreSQL's statements that fail with "cannot run inside a transaction block".
fn refuses_transaction_block(node: &NodeEnum) -> Option<&'static str> {
    match node {
        NodeEnum::IndexStmt(s) if s.concurrent => Some("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(s) if s.concurrent => Some("DROP INDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(s) if has_option(&s.params, "concurrently") => Some("REINDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(s)
            if [
                ReindexObjectType::ReindexObjectSchema,
                ReindexObjectType::ReindexObjectSystem,
                ReindexObjectType::ReindexObjectDatabase,
            ]
            .iter()
            .any(|k| *k as i32 == s.kind) =>
        {
            Some("REINDEX SCHEMA/SYSTEM/DATABASE")
        }
        NodeEnum::VacuumStmt(s) if s.is_vacuumcmd => Some("VACUUM"),
        NodeEnum::AlterSystemStmt(_) => Some("ALTER SYSTEM"),
        NodeEnum::CreatedbStmt(_) => Some("CREATE DATABASE"),
        NodeEnum::DropdbStmt(_) => Some("DROP DATABASE"),
        NodeEnum::CreateTableSpaceStmt(_) => Some("CREATE TABLESPACE"),
        NodeEnum::DropTableSpaceStmt(_) => Some("DROP TABLESPACE"),
        NodeEnum::CreateSubscriptionStmt(_) => Some("CREATE SUBSCRIPTION"),
        NodeEnum::ClusterStmt(s) if s.relation.is_none() => Some("CLUSTER without a table"),
        NodeEnum::AlterTableStmt(s) if s.cmds.iter().any(detaches_concurrently) => Some("ALTER TABLE … DETACH PARTITION … CONCURRENTLY"),
        _ => None,
    }
}

fn concurrent_index(node: &NodeEnum) -> Option<ConcurrentIndex> {
    let NodeEnum::IndexStmt(stmt) = node else { return None };
    let relation = stmt.relation.as_ref()?;
    if !stmt.concurrent || stmt.idxname.is_empty() {
        return None;
    }
    let table = match relation.schemaname.as_str() {
        "" => quote_ident(&relation.relname),
        schema => format!("{}.{}", quote_ident(schema), quote_ident(&relation.relname)),
    };
    Some(ConcurrentIndex { name: stmt.idxname.clone(), table })
}

fn has_option(params: &[pg_query::Node], name: &str) -> bool {
    params.iter().any(|p| matches!(&p.node, Some(NodeEnum::DefElem(d)) if d.defname == name))
}

fn detaches_concurrently(cmd: &pg_query::Node) -> bool {
    let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
        return false;
    };
    cmd.subtype == AlterTableType::AtDetachPartition as i32
        && matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()), Some(NodeEnum::PartitionCmd(p)) if p.concurrent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_that_refuses_a_transaction_runs_alone() {
        let text = "create table t (id int);\ncreate index concurrently t_id on t (id);\ncomment on table t is 'a; b';\ncreate index concurrently t_id2 on t (id);\n";
        assert_eq!(
            transaction_runs(text),
            [
                "create table t (id int)",
                "create index concurrently t_id on t (id)",
                "comment on table t is 'a; b'",
                "create index concurrently t_id2 on t (id)"
            ]
        );
        let plain = "create table t (id int);\ncomment on table t is 'x';\n";
        assert_eq!(transaction_runs(plain), [plain], "nothing refuses: the text as it is");
        let broken = "create index concurrently i on t (id);\ncreate tabel x ();";
        assert_eq!(transaction_runs(broken), [broken], "a statement that does not parse: running it says where");
    }

    fn split(sql: &str) -> (Vec<Statement>, Vec<Problem>) {
        let (fast, exact) = (split_statements(sql, 0..sql.len()), exact_split(sql, 0..sql.len()));
        assert_eq!(fast, exact, "the fast path reads {sql:?} as the exact one does");
        fast
    }

    #[test]
    fn spans_start_at_the_first_token() {
        let sql = "-- lead\ncreate table t (a int);\n/* x /* nested */ */ insert into t values (1);\n";
        let (stmts, problems) = split(sql);
        assert!(problems.is_empty());
        assert_eq!(stmts.len(), 2);
        assert_eq!(&sql[stmts[0].span.clone()], "create table t (a int)");
        assert_eq!(&sql[stmts[1].span.clone()], "insert into t values (1)");
    }

    #[test]
    fn each_bad_statement_is_located() {
        let sql = "select 1;\ncreate tablee t ();\nselect 2;\nselec 3;\n";
        let (stmts, problems) = split(sql);
        assert_eq!(stmts.len(), 2);
        let offsets: Vec<_> = problems.iter().map(|p| p.offset.unwrap()).collect();
        assert_eq!(offsets, [sql.find("tablee").unwrap(), sql.find("selec 3").unwrap()]);
    }

    #[test]
    fn a_big_block_is_read_in_slices_that_may_end_inside_a_literal() {
        let row = "insert into t values (1, 'a;\nb');\n";
        let sql = row.repeat(SCAN_SLICE / row.len() * 3);
        let (stmts, problems) = split_statements(&sql, 0..sql.len());
        assert!(problems.is_empty());
        assert_eq!(stmts.len(), SCAN_SLICE / row.len() * 3);
        assert!(stmts.iter().all(|s| sql[s.span.clone()] == row[..row.len() - 2]));
    }

    #[test]
    fn what_the_scanner_skips_is_still_reported() {
        let (stmts, problems) = split("select 1; asdf; select 2; -- done\n");
        assert_eq!((stmts.len(), problems.len()), (2, 1));
    }

    #[test]
    fn what_the_scanner_splits_wrongly_is_read_the_exact_way() {
        let sql = "create function f() returns int language sql begin atomic select 1; select 2; end;\ncreate rule r as on insert to t do also (insert into u values (1); insert into u values (2));\ninsert into t values (1)";
        let (stmts, problems) = split(sql);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(stmts.len(), 3);
        assert!(sql[stmts[0].span.clone()].ends_with("end"));
    }

    #[test]
    fn dollar_quoted_bodies_stay_whole() {
        let sql = "create function f() returns int language plpgsql as $$ begin return 1; end $$;";
        let (stmts, problems) = split(sql);
        assert!(problems.is_empty());
        assert_eq!(stmts.len(), 1);
    }

    #[test]
    fn recognises_statements_that_refuse_a_transaction() {
        let cases = [
            ("create index concurrently i on t (a)", Some("CREATE INDEX CONCURRENTLY")),
            ("create index i on t (a)", None),
            ("drop index concurrently i", Some("DROP INDEX CONCURRENTLY")),
            ("vacuum t", Some("VACUUM")),
            ("analyze t", None),
            ("alter system set work_mem = '1MB'", Some("ALTER SYSTEM")),
            ("reindex (concurrently) table t", Some("REINDEX CONCURRENTLY")),
            ("reindex database d", Some("REINDEX SCHEMA/SYSTEM/DATABASE")),
            ("alter table p detach partition c concurrently", Some("ALTER TABLE … DETACH PARTITION … CONCURRENTLY")),
        ];
        for (sql, expected) in cases {
            assert_eq!(split(sql).0[0].needs_no_transaction, expected, "{sql}");
        }
        assert!(split("commit").0[0].is_transaction_control);
        assert_eq!(
            split("create index concurrently if not exists \"Idx\" on app.\"T\" (a)").0[0].concurrent_index,
            Some(ConcurrentIndex { name: "Idx".into(), table: "\"app\".\"T\"".into() })
        );
    }
}
