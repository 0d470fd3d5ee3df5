//! The baseline migration: `pg_dump --schema-only` of the squashed schema made safe for a fresh
//! `dbmate up` (no `\restrict`, no version lines, transaction-scoped settings, no
//! `CREATE SCHEMA public`), under a header saying what it replaces and how to roll it out.

use std::fmt::Write;

use crate::baseline::BaselineHeader;
use crate::sql::quote_literal;

/// Makes a `pg_dump --schema-only` text safe to run as one dbmate migration.
pub fn normalise_dump(dump: &str) -> String {
    let mut out = String::with_capacity(dump.len());
    let mut started = false;
    for line in dump.lines() {
        let line = line.trim_end();
        if line.starts_with("\\restrict") || line.starts_with("\\unrestrict") {
            continue;
        }
        if line.starts_with("-- Dumped from")
            || line.starts_with("-- Dumped by")
            || line == "-- PostgreSQL database dump"
            || line == "-- PostgreSQL database dump complete"
        {
            continue;
        }
        if line == "CREATE SCHEMA public;" {
            continue;
        }
        if !started && (line.is_empty() || line == "--") {
            continue;
        }
        started = true;
        if line == "SELECT pg_catalog.set_config('search_path', '', false);" {
            out.push_str("SELECT pg_catalog.set_config('search_path', '', true);\n");
        } else if let Some(rest) = line.strip_prefix("SET ").filter(|r| r.contains(" = ") && !r.starts_with("LOCAL ")) {
            // Settings last for this migration's transaction only, not for later migrations.
            let _ = writeln!(out, "SET LOCAL {rest}");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") || out.ends_with("--\n") {
        if out.ends_with("--\n") {
            out.truncate(out.len() - 3);
        } else {
            out.pop();
        }
    }
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
    fn normalises_pg_dump_noise() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\n-- Dumped from database version 15.18\n-- Dumped by pg_dump version 15.18\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE SCHEMA public;\n\nCREATE TABLE public.t (\n    a integer\n);\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n";
        assert_eq!(
            normalise_dump(dump),
            "SET LOCAL statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', true);\n\n\nCREATE TABLE public.t (\n    a integer\n);\n"
        );
    }
}
