//! `backups` after a real surgery on the example chain: the record lists every moved table and
//! saved column with rows and sizes; `drop` dry-runs, refuses while the ledger allows the
//! rollback, and with --force (or once the rollback is impossible) writes a pg_dump first; a
//! restored column's values come back row for row; a restore blocked by a name taken since
//! fails on the throwaway copy and changes nothing; the same over --targets on three databases.

use std::path::Path;
use std::process::Command;

use crate::common;
use crate::squash::{DATE, EXAMPLE_PLAN, plan, squash};

/// Rows for the retired table and values for the retired column, quotes and NULLs included.
const PRODUCTION_ROWS: &str = "
INSERT INTO agents (organization_id, id, name, skill_auto_granted_domains) VALUES
  ('00000000-0000-4000-8000-000000000001', 1, 'a', ARRAY['example.com', 'it''s \"quoted\"']),
  ('00000000-0000-4000-8000-000000000001', 2, 'b', NULL),
  ('00000000-0000-4000-8000-000000000001', 3, 'c', ARRAY[]::text[]);
INSERT INTO mcp_proxy_sessions (organization_id, agent_id)
  SELECT '00000000-0000-4000-8000-000000000001', 1 FROM generate_series(1, 5);
";

/// The retired column's values by row key, as text.
const COLUMN_VALUES: &str = "SELECT string_agg(format('%s/%s=%s', organization_id, id, coalesce(skill_auto_granted_domains::text, 'NULL')), '; ' ORDER BY id) FROM public.agents";

/// The example chain squashed by the example plan (with `style` backups) in a new work
/// directory, and the old chain's files (what production ran).
async fn squashed_example(style: &str) -> (tempfile::TempDir, Vec<squashmate::migration::MigrationFile>) {
    let work = common::open_tempdir();
    common::copy_example(work.path());
    let old = squashmate::migration::discover(&[work.path().join("db/migrations")]).unwrap().files;
    plan(work.path(), &format!("backup = \"{style}\"\n{EXAMPLE_PLAN}"));
    let dir = work.path().to_path_buf();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || squash(&dir, &[])).await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    (work, old)
}

/// A production database: the old chain, rows in what the squash retires, then the surgery.
async fn production(server: &squashmate::server::EphemeralServer, old: &[squashmate::migration::MigrationFile]) -> String {
    let db = squashmate::replay::replay(server, old, |_, _| {}).await.unwrap().database;
    server.connect(&db).await.unwrap().batch_execute(PRODUCTION_ROWS).await.unwrap();
    db
}

fn surgery(work: &Path, url: &str) {
    let (code, stdout, stderr) = at(work, url, &["run-script", &format!("db/squash/{DATE}/surgery.sql")]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

/// `squashmate -u URL ARGS` in `work`.
fn at(work: &Path, url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    common::outcome(common::squashmate().current_dir(work).args(["-u", url]).args(args).args(server_for(args)))
}

/// A restore proves itself on a throwaway server: the local one.
fn server_for(args: &[&str]) -> Vec<&'static str> {
    if args.contains(&"restore") { vec!["--pg", "local"] } else { vec![] }
}

async fn text(server: &squashmate::server::EphemeralServer, db: &str, sql: &str) -> String {
    let row = server.connect(db).await.unwrap().query_one(&format!("SELECT coalesce(({sql})::text, '')"), &[]).await.unwrap();
    row.get(0)
}

async fn exists(server: &squashmate::server::EphemeralServer, db: &str, relation: &str) -> bool {
    text(server, db, &format!("SELECT to_regclass('{relation}') IS NOT NULL")).await == "true"
}

#[tokio::test]
async fn a_surgery_s_backups_are_listed_refused_while_the_rollback_needs_them_restored_and_dropped() {
    let (work, old) = squashed_example("schema").await;
    let server = common::local_server().await;
    let db = production(&server, &old).await;
    let url = server.url(&db);
    let before = text(&server, &db, COLUMN_VALUES).await;
    assert!(before.contains("it's") && before.contains("=NULL") && before.contains("={}"), "{before}");
    surgery(work.path(), &url);
    let (code, stdout, stderr) = at(work.path(), &url, &["drift", "--pg", "local"]);
    assert_eq!(code, Some(0), "after the surgery the database is the baseline, its backups aside: {stdout}{stderr}");
    assert!(stdout.contains("Left out: 4 object(s) a squash's surgery kept"), "{stdout}");

    // Listed from the record alone: each moved table and saved column, rows, size, rollback.
    let (code, stdout, stderr) = at(work.path(), &url, &["backups", "list"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Squash onto baseline 00000000000000 (30 version(s), 20240105090000..20240801100000)"), "{stdout}");
    assert!(stdout.contains("rollback: still possible"), "{stdout}");
    assert!(stdout.contains("table  public.mcp_proxy_sessions → squashmate_backup_20260101.mcp_proxy_sessions · 5 row(s)"), "{stdout}");
    assert!(
        stdout.contains("column public.agents.skill_auto_granted_domains (row key organization_id, id) → squashmate_backup_20260101.agents__skill_auto_granted_domains · 3 row(s)"),
        "{stdout}"
    );
    let (_, json, _) = at(work.path(), &url, &["backups", "list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let listed = &listed["squashes"];
    assert_eq!(listed[0]["rollback_possible"], true, "{json}");
    assert_eq!(listed[0]["kept"].as_array().unwrap().len(), 2, "{json}");
    assert!(listed[0]["kept"].as_array().unwrap().iter().all(|k| k["state"] == "kept" && k["bytes"].as_i64().unwrap() > 0), "{json}");

    // Drop: a dry run, and a refusal while the ledger still allows the rollback.
    let (code, stdout, _) = at(work.path(), &url, &["backups", "drop", "--older-than", "0s"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("Refused: the backups of the squash onto baseline 00000000000000") && stdout.contains("--force"), "{stdout}");
    let dumps = work.path().join("dumps");
    let (code, stdout, _) =
        at(work.path(), &url, &["backups", "drop", "--older-than", "0s", "--apply", "--dump-dir", dumps.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("Nothing was dropped"), "{stdout}");
    assert!(exists(&server, &db, "squashmate_backup_20260101.mcp_proxy_sessions").await, "a refused drop drops nothing");
    assert!(!dumps.exists(), "a refused drop writes no dump");
    let (code, stdout, _) = at(work.path(), &url, &["backups", "drop", "--older-than", "90d", "--apply"]);
    assert_eq!((code, stdout.contains("nothing to drop")), (Some(0), true), "{stdout}");

    // Restore one column: its values come back row for row, and the rollback is no longer possible.
    let (code, stdout, stderr) = at(work.path(), &url, &["backups", "restore", "agents.skill_auto_granted_domains"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Restored public.agents.skill_auto_granted_domains (2 row(s) or value(s) back)"), "{stdout}");
    assert!(stdout.contains("The rollback of the squash onto baseline 00000000000000 is no longer possible"), "{stdout}");
    assert_eq!(text(&server, &db, COLUMN_VALUES).await, before, "the column's values, row for row");
    let (code, stdout, _) = at(work.path(), &url, &["backups", "restore", "public.agents.skill_auto_granted_domains"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("was restored already"), "{stdout}");
    let (_, stdout, _) = at(work.path(), &url, &["backups", "list"]);
    assert!(stdout.contains("rollback: no longer possible") && stdout.contains("→ restored at "), "{stdout}");
    let (code, stdout, _) = at(work.path(), &url, &["drift", "--pg", "local"]);
    assert_eq!(code, Some(1), "a restored column is in no migration: {stdout}");
    assert!(stdout.contains("- public.agents.skill_auto_granted_domains: exists in the database but no migration creates it"), "{stdout}");

    // Now nothing needs them: dropped, after a pg_dump that puts them back.
    let (code, stdout, stderr) =
        at(work.path(), &url, &["backups", "drop", "--older-than", "0s", "--apply", "--dump-dir", dumps.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Dropped 1 backup table(s) (5 row(s))"), "{stdout}");
    assert!(!exists(&server, &db, "squashmate_backup_20260101.mcp_proxy_sessions").await);
    assert_eq!(text(&server, &db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'squashmate_backup_20260101'").await, "0");
    let (_, stdout, _) = at(work.path(), &url, &["backups", "list"]);
    assert!(stdout.starts_with("No squash backups"), "{stdout}");
    let dump: Vec<_> = std::fs::read_dir(&dumps).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(dump.len(), 1, "{dump:?}");
    let psql = Command::new("psql").args(["-v", "ON_ERROR_STOP=1", "-q", "-X", &url, "-f"]).arg(&dump[0]).output().unwrap();
    assert!(psql.status.success(), "{}", String::from_utf8_lossy(&psql.stderr));
    assert_eq!(
        text(&server, &db, "SELECT count(*) FROM squashmate_backup_20260101.mcp_proxy_sessions").await,
        "5",
        "the dump holds the rows"
    );
    let (_, stdout, _) = at(work.path(), &url, &["backups", "list"]);
    assert!(stdout.contains("table  public.mcp_proxy_sessions → squashmate_backup_20260101.mcp_proxy_sessions · 5 row(s)"), "{stdout}");
}

#[tokio::test]
async fn a_forced_drop_dumps_first_and_the_rollback_then_refuses_and_a_blocked_restore_changes_nothing() {
    let (work, old) = squashed_example("schema").await;
    let server = common::local_server().await;
    let db = production(&server, &old).await;
    let url = server.url(&db);
    surgery(work.path(), &url);

    // A table of the retired one's name made since: the restore fails on the copy first.
    server.connect(&db).await.unwrap().batch_execute("CREATE TABLE public.mcp_proxy_sessions (id int)").await.unwrap();
    let (code, stdout, stderr) = at(work.path(), &url, &["backups", "restore", "mcp_proxy_sessions"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("fails on a copy of this database's schema") && stderr.contains("exists again; move it away first"),
        "{stderr}"
    );
    assert!(exists(&server, &db, "squashmate_backup_20260101.mcp_proxy_sessions").await, "nothing changed");
    server.connect(&db).await.unwrap().batch_execute("DROP TABLE public.mcp_proxy_sessions").await.unwrap();

    let dumps = work.path().join("dumps");
    let (code, stdout, stderr) =
        at(work.path(), &url, &["backups", "drop", "--older-than", "0s", "--apply", "--force", "--dump-dir", dumps.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Dropped 2 backup table(s) (8 row(s))"), "{stdout}");
    let dump = std::fs::read_dir(&dumps).unwrap().flatten().next().unwrap().path();
    let dumped = std::fs::read_to_string(&dump).unwrap();
    assert!(
        dumped.contains("CREATE TABLE squashmate_backup_20260101.mcp_proxy_sessions") && dumped.contains("squashmate_record"),
        "{dumped}"
    );
    let (code, stdout, stderr) = at(work.path(), &url, &["run-script", &format!("db/squash/{DATE}/rollback.sql")]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("the saved table") && stdout.contains("is missing"), "the rollback refuses honestly: {stdout}");

    // Backups an older squashmate left without a record are shown, not touched.
    let old_style = "CREATE SCHEMA squashmate_backup_20240101; CREATE TABLE squashmate_backup_20240101.users (id int);
                     CREATE TABLE public.sessions_squashed_20240101 (id int);";
    server.connect(&db).await.unwrap().batch_execute(old_style).await.unwrap();
    let (code, stdout, _) = at(work.path(), &url, &["backups", "list"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("Unrecorded (")
            && stdout.contains(": schema squashmate_backup_20240101, table public.sessions_squashed_20240101\n"),
        "{stdout}"
    );
    let (code, stdout, _) = at(work.path(), &url, &["backups", "drop", "--older-than", "0s", "--apply", "--force"]);
    assert_eq!((code, stdout.contains("nothing to drop")), (Some(0), true), "{stdout}");
    assert!(exists(&server, &db, "squashmate_backup_20240101.users").await, "an unrecorded backup is never dropped");
}

#[tokio::test]
async fn backups_over_targets_list_refuse_restore_and_drop_on_three_databases() {
    let (work, old) = squashed_example("suffix").await;
    let server = common::local_server().await;
    let mut databases = Vec::new();
    for _ in 0..3 {
        databases.push(production(&server, &old).await);
    }
    let urls: Vec<String> = databases.iter().map(|db| server.url(db)).collect();
    std::fs::write(work.path().join("targets"), urls.join("\n")).unwrap();
    let fleet = |args: &[&str]| {
        common::outcome(common::squashmate().current_dir(work.path()).args(["--targets", "targets"]).args(args).args(server_for(args)))
    };
    let (code, stdout, stderr) = fleet(&["run-script", &format!("db/squash/{DATE}/surgery.sql")]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");

    let (code, stdout, stderr) = fleet(&["backups", "list"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout.matches("ok: 2 backup(s) of 1 squash(es), 8 row(s)").count(), 3, "{stdout}");
    assert_eq!(stdout.matches("1 rollback(s) still possible").count(), 3, "{stdout}");
    let (code, stdout, _) = fleet(&["backups", "drop", "--older-than", "0s", "--apply"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(stdout.matches("FAILED: refused: 1 squash(es) whose rollback still needs its backups").count(), 3, "{stdout}");

    let (code, stdout, stderr) = fleet(&["backups", "restore", "public.mcp_proxy_sessions"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout.matches("ok: restored public.mcp_proxy_sessions (5 row(s))").count(), 3, "{stdout}");
    for db in &databases {
        assert_eq!(text(&server, db, "SELECT count(*) FROM public.mcp_proxy_sessions").await, "5");
    }
    let dumps = work.path().join("dumps");
    let (code, stdout, stderr) = fleet(&["backups", "drop", "--older-than", "0s", "--apply", "--dump-dir", dumps.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout.matches("ok: dropped 1 table(s), dump ").count(), 3, "{stdout}");
    assert_eq!(std::fs::read_dir(&dumps).unwrap().count(), 3, "one dump per database");
    let (_, stdout, _) = fleet(&["backups", "list"]);
    assert_eq!(stdout.matches("ok: no squash backups").count(), 3, "{stdout}");
}

#[tokio::test]
async fn a_drop_asks_the_ledger_again_inside_its_transaction() {
    use squashmate::backups::{drop_selected, read_backups, select_older_than};
    let (work, old) = squashed_example("suffix").await;
    let server = common::local_server().await;
    let db = production(&server, &old).await;
    surgery(work.path(), &server.url(&db));
    let client = server.connect(&db).await.unwrap();
    let ledger = squashmate::ledger::LedgerTable::resolve(&client, "schema_migrations", &[]).await.unwrap();
    // Read while no rollback is possible (the baseline's row gone), then made possible again.
    client.batch_execute("DELETE FROM schema_migrations WHERE version = '00000000000000'").await.unwrap();
    let squashes = read_backups(&client, &ledger).await.unwrap();
    assert!(!squashes[0].rollback_possible);
    let chosen = select_older_than(&squashes, std::time::Duration::ZERO, false);
    assert_eq!(chosen.dropping.len(), 1);
    client.batch_execute("INSERT INTO schema_migrations (version) VALUES ('00000000000000')").await.unwrap();
    let url = squashmate::ledger::DatabaseUrl::parse(&server.url(&db)).unwrap();
    let error = drop_selected(&client, &url, &ledger, &chosen.dropping, false, &work.path().join("dumps")).await.unwrap_err();
    assert!(error.to_string().contains("the rollback of the squash onto baseline 00000000000000 is possible again"), "{error}");
    assert!(exists(&server, &db, "public.mcp_proxy_sessions_squashed_20260101").await, "nothing was dropped");
    assert!(read_backups(&client, &ledger).await.unwrap()[0].rollback_possible);
}
