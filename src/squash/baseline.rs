//! The baseline migration: `pg_dump` of the squashed schema and of the rows the chain left in
//! it, made safe for a fresh `dbmate up` (no `\restrict`, no version lines, transaction-scoped
//! settings, no `CREATE SCHEMA public`), under a header saying what it replaces and how to
//! roll it out.

use std::fmt::Write;

use crate::baseline::BaselineHeader;
use crate::dump::{guarded_setting, newer_setting};
use crate::migration::split_statements;
use crate::sql::quote_literal;

/// Makes a plain-format `pg_dump` text safe to run as one dbmate migration. Statements are
/// found with PostgreSQL's parser, so text inside string literals and function bodies (rows
/// of data, multi-line strings) is kept byte for byte; only whole statements are rewritten.
/// What `runner` (the role that ran the migrations) owns gets no `OWNER TO` and its default
/// privileges no `FOR ROLE`: a fresh `dbmate up` as another role owns them then, as it would
/// after the chain; every other owner and every privilege stays. The migration's search_path
/// is `extension_schemas` instead of pg_dump's empty one (every name in the dump is qualified
/// either way): an extension's SQL function that names its own types unqualified (earthdistance's
/// `ll_to_earth` in an index expression) then still resolves while rows are inserted.
pub fn normalise_dump(dump: &str, runner: &str, extension_schemas: &[String]) -> String {
    let search_path = extension_schemas.iter().map(|s| crate::sql::quote_ident_if_needed(s)).collect::<Vec<_>>().join(", ");
    let search_path = format!("SELECT pg_catalog.set_config('search_path', {}, true)", quote_literal(&search_path));
    let runner = crate::sql::quote_ident_if_needed(runner);
    let (owned_by_runner, for_runner) = (format!(" OWNER TO {runner}"), format!("ALTER DEFAULT PRIVILEGES FOR ROLE {runner} "));
    let text = without_restrict_lines(dump);
    let (statements, _) = split_statements(&text, 0..text.len());
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    // After a dropped statement: how many of the line ends after its `;` go with it.
    let mut dropped_line_ends = None;
    for statement in statements {
        let mut gap = &text[at..statement.span.start];
        if let Some(line_ends) = dropped_line_ends {
            gap = without_statement_end(gap, line_ends);
        }
        push_gap(&mut out, gap, true, &runner);
        let sql = &text[statement.span.clone()];
        dropped_line_ends = None;
        if sql == "CREATE SCHEMA public" {
            dropped_line_ends = Some(1);
        } else if sql.starts_with("ALTER ") && sql.ends_with(&owned_by_runner) {
            // pg_dump writes it after a blank line: the dump reads as one made without owners.
            dropped_line_ends = Some(2);
        } else if let Some(rest) = sql.strip_prefix(&for_runner) {
            let _ = write!(out, "ALTER DEFAULT PRIVILEGES {rest}");
        } else if sql == "SELECT pg_catalog.set_config('search_path', '', false)" {
            out.push_str(&search_path);
        } else if let Some(rest) = sql.strip_prefix("SET ").filter(|r| r.contains(" = ") && !r.starts_with("LOCAL ")) {
            // Settings last for this migration's transaction only, not for later migrations.
            match newer_setting(rest) {
                Some((name, value, since)) => out.push_str(&guarded_setting(name, value, since, true)),
                None => {
                    let _ = write!(out, "SET LOCAL {rest}");
                }
            }
        } else {
            out.push_str(sql);
        }
        at = statement.span.end;
    }
    let mut tail = &text[at..];
    if let Some(line_ends) = dropped_line_ends {
        tail = without_statement_end(tail, line_ends);
    }
    push_gap(&mut out, tail, false, &runner);
    tidy(&out)
}

/// A gap after a dropped statement, without that statement's `;` and up to `line_ends` line
/// ends.
fn without_statement_end(gap: &str, line_ends: usize) -> &str {
    let mut gap = gap.strip_prefix(';').unwrap_or(gap);
    for _ in 0..line_ends {
        gap = gap.strip_prefix('\n').unwrap_or(gap);
    }
    gap
}

/// The dump without its `\restrict` line (before the first statement) and `\unrestrict`
/// line (after the last): psql meta-commands, not SQL.
fn without_restrict_lines(dump: &str) -> String {
    let lines: Vec<&str> = dump.split_inclusive('\n').collect();
    let trivia = |l: &&str| l.trim().is_empty() || l.starts_with("--");
    let first = lines.iter().position(|l| !trivia(l)).filter(|&i| lines[i].starts_with("\\restrict "));
    let last = lines.iter().rposition(|l| !trivia(l)).filter(|&i| lines[i].starts_with("\\unrestrict "));
    lines.iter().enumerate().filter(|(i, _)| Some(*i) != first && Some(*i) != last).map(|(_, l)| *l).collect()
}

/// Text between statements (comments, blank lines, `;`) without pg_dump's version lines and
/// without the "Data for Name" headers of empty tables (a header not followed by its rows);
/// entry headers say `Owner: -` for what `runner` owns.
fn push_gap(out: &mut String, gap: &str, statement_follows: bool, runner: &str) {
    let lines: Vec<&str> = gap.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let data_header = i + 2 < lines.len()
            && lines[i].trim_end() == "--"
            && lines[i + 1].starts_with("-- Data for Name: ")
            && lines[i + 1].contains("; Type: TABLE DATA;")
            && lines[i + 2].trim_end() == "--";
        if data_header {
            let after = (i + 3..lines.len()).find(|&j| !lines[j].trim().is_empty());
            if after.is_some() || !statement_follows {
                i = after.unwrap_or(lines.len());
                continue;
            }
        }
        let line = lines[i].trim_end();
        let noise = line.starts_with("-- Dumped from")
            || line.starts_with("-- Dumped by")
            || line == "-- PostgreSQL database dump"
            || line == "-- PostgreSQL database dump complete";
        let runner_owns = format!("; Owner: {runner}\n");
        if noise {
        } else if lines[i].starts_with("-- ") && lines[i].ends_with(&runner_owns) {
            out.push_str(&lines[i][..lines[i].len() - runner_owns.len()]);
            out.push_str("; Owner: -\n");
        } else {
            out.push_str(lines[i]);
        }
        i += 1;
    }
}

/// Without blank or bare `--` lines at the start and the end.
fn tidy(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let empty = |l: &&str| l.trim().is_empty() || l.trim() == "--";
    let start = lines.iter().position(|l| !empty(l)).unwrap_or(lines.len());
    let end = lines.iter().rposition(|l| !empty(l)).map_or(start, |e| e + 1);
    let mut out = lines[start..end].join("\n");
    out.push('\n');
    out
}

/// What the baseline header states besides what it replaces.
#[derive(Debug, Clone)]
pub struct BaselineFacts<'a> {
    /// What it replaces.
    pub header: &'a BaselineHeader,
    /// The schema fingerprint (format-tagged).
    pub fingerprint: &'a str,
    /// The PostgreSQL version it was made on.
    pub postgres_version: &'a str,
    /// `db/squash/<date>`, where the surgery and rollback are.
    pub squash_dir: &'a str,
}

/// The baseline file's text.
pub fn baseline_file(facts: &BaselineFacts<'_>, body: &str) -> String {
    let mut out = facts.header.render();
    let _ = writeln!(out, "-- schema-fingerprint: {}", facts.fingerprint);
    let _ = writeln!(out, "-- postgresql: {}", facts.postgres_version);
    let _ = writeln!(out, "--");
    let _ = writeln!(out, "-- Rollout. Fresh databases: `squashmate up` (or `dbmate up`) as usual. Each existing database:");
    let _ =
        writeln!(out, "--   1. Save the ledger and the retired data (the commands are at the top of {}/surgery.sql).", facts.squash_dir);
    let _ =
        writeln!(out, "--   2. Run {}/surgery.sql with psql. It changes nothing unless the database is exactly at the", facts.squash_dir);
    let _ = writeln!(out, "--      end of the squashed chain; then the ledger holds this baseline instead of the squashed versions.");
    let _ = writeln!(out, "--   3. Deploy the commit that replaces the old migrations with this file.");
    let _ = writeln!(
        out,
        "--   4. To undo step 2: {}/rollback.sql restores tables, columns and their values, and the ledger.",
        facts.squash_dir
    );
    let _ = writeln!(out, "--   5. Weeks later, once nothing needs them: `squashmate backups list` shows what step 2 kept;");
    let _ = writeln!(out, "--      `squashmate backups drop --older-than 90d --apply` drops it (a pg_dump of it first).");
    let _ = writeln!(out, "\n-- migrate:up\n{}\n", body.trim_end());
    let _ = writeln!(
        out,
        "-- migrate:down\nDO $squashmate$\nBEGIN\n  RAISE EXCEPTION '%', {};\nEND\n$squashmate$;",
        quote_literal(&format!(
            "the squashmate baseline cannot be rolled back: it replaced {} migrations; restore a backup, or run {}/rollback.sql on a database that went through the surgery",
            facts.header.replaces.len(),
            facts.squash_dir
        ))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_older_servers_lack_is_made_only_where_the_server_knows_it() {
        let dump = "SET statement_timeout = 0;\nSET transaction_timeout = 0;\nCREATE TABLE public.t (a integer);\n";
        assert_eq!(
            normalise_dump(dump, "postgres", &[]),
            "SET LOCAL statement_timeout = 0;\nSELECT pg_catalog.set_config('transaction_timeout', '0', true) WHERE pg_catalog.current_setting('server_version_num')::integer >= 170000;\nCREATE TABLE public.t (a integer);\n"
        );
    }

    #[test]
    fn keeps_data_and_function_bodies_byte_for_byte() {
        let dump = "\\restrict k\nSET statement_timeout = 0;\nCREATE FUNCTION public.f() RETURNS text\n    LANGUAGE sql\n    AS $$\nSET x = 1;\n$$;\n\nINSERT INTO public.t VALUES (1, 'line one  \nSET y = 2\nCREATE SCHEMA public;\n-- Dumped from a string');\n\\unrestrict k\n";
        assert_eq!(
            normalise_dump(dump, "postgres", &[]),
            "SET LOCAL statement_timeout = 0;\nCREATE FUNCTION public.f() RETURNS text\n    LANGUAGE sql\n    AS $$\nSET x = 1;\n$$;\n\nINSERT INTO public.t VALUES (1, 'line one  \nSET y = 2\nCREATE SCHEMA public;\n-- Dumped from a string');\n"
        );
    }

    #[test]
    fn drops_the_headers_of_empty_tables() {
        let dump = "CREATE TABLE public.a (x integer);\n\n--\n-- Data for Name: a; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n\n\n--\n-- Data for Name: b; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nINSERT INTO public.b VALUES\n\t(1);\n\n\n--\n-- Data for Name: c; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n";
        assert_eq!(
            normalise_dump(dump, "postgres", &[]),
            "CREATE TABLE public.a (x integer);\n\n--\n-- Data for Name: b; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nINSERT INTO public.b VALUES\n\t(1);\n"
        );
    }

    #[test]
    fn the_runner_owns_without_saying_so_and_every_other_owner_and_grant_stays() {
        let dump = "--\n-- Name: t; Type: TABLE; Schema: public; Owner: postgres\n--\n\nCREATE TABLE public.t (a integer);\n\nALTER TABLE public.t OWNER TO postgres;\n\n\
            ALTER TABLE public.u OWNER TO app_owner;\nGRANT SELECT ON TABLE public.t TO app;\n\
            ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO app;\n\
            ALTER DEFAULT PRIVILEGES FOR ROLE app_owner GRANT SELECT ON TABLES TO app;\n";
        assert_eq!(
            normalise_dump(dump, "postgres", &[]),
            "-- Name: t; Type: TABLE; Schema: public; Owner: -\n--\n\nCREATE TABLE public.t (a integer);\n\n\
             ALTER TABLE public.u OWNER TO app_owner;\nGRANT SELECT ON TABLE public.t TO app;\n\
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app;\n\
             ALTER DEFAULT PRIVILEGES FOR ROLE app_owner GRANT SELECT ON TABLES TO app;\n"
        );
    }

    #[test]
    fn normalises_pg_dump_noise() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\n-- Dumped from database version 15.18\n-- Dumped by pg_dump version 15.18\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE SCHEMA public;\n\nCREATE TABLE public.t (\n    a integer\n);\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n";
        assert_eq!(
            normalise_dump(dump, "postgres", &[]),
            "SET LOCAL statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', true);\n\n\nCREATE TABLE public.t (\n    a integer\n);\n"
        );
    }
}
