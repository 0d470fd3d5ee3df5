//! The dbmate-style commands end to end: create/drop/wait, env files, load, status with ledger
//! rows that have no file, --strict, rollback --to, flags after the command, dump warnings,
//! and no password in any output.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{local_server, outcome, squashmate, write_migrations};

fn chain(work: &Path) {
    write_migrations(
        &work.join("db/migrations"),
        &[
            ("20240101000000_a.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\ndrop table a;\n"),
            ("20240102000000_b.sql", "-- migrate:up\ncreate table b (id int);\n-- migrate:down\ndrop table b;\n"),
            ("20240103000000_c.sql", "-- migrate:up\ncreate table c (id int);\n-- migrate:down\ndrop table c;\n"),
        ],
    );
}

fn sm(work: &Path, url: &str) -> Command {
    let mut command = squashmate();
    command.current_dir(work).env("DATABASE_URL", url);
    command
}

#[tokio::test]
async fn create_drop_and_wait() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    let url = server.url("made_here");
    assert_eq!(
        outcome(sm(work.path(), &url).arg("wait")),
        (Some(0), String::new(), String::new()),
        "a missing database counts as reachable"
    );
    assert_eq!(outcome(sm(work.path(), &url).arg("create")), (Some(0), "Creating: made_here\n".into(), String::new()));
    let (code, _, stderr) = outcome(sm(work.path(), &url).arg("create"));
    assert_eq!(code, Some(2));
    assert_eq!(stderr, "Error: database \"made_here\" already exists (42P04)\n");
    assert_eq!(outcome(sm(work.path(), &url).arg("drop")), (Some(0), "Dropping: made_here\n".into(), String::new()));
    assert_eq!(outcome(sm(work.path(), &url).arg("drop")).0, Some(0), "drop is idempotent");

    let unreachable = "postgres://app:hunter2@127.0.0.1:1/x?sslmode=disable";
    let (code, stdout, stderr) = outcome(sm(work.path(), unreachable).args(["--wait-timeout", "2s", "--wait-interval", "500ms", "wait"]));
    assert_eq!(code, Some(2));
    assert!(stdout.starts_with("Waiting for database..."), "{stdout}");
    assert!(stderr.starts_with("Error: unable to connect to database"), "{stderr}");
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"));
}

#[tokio::test]
async fn env_files_supply_the_url_and_settings() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    chain(work.path());
    std::fs::write(work.path().join(".env"), format!("DATABASE_URL={}\nDBMATE_NO_DUMP_SCHEMA=true\n", server.url("from_env"))).unwrap();
    let (code, stdout, stderr) = outcome(squashmate().current_dir(work.path()).env_remove("DATABASE_URL").arg("up"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("Creating: from_env\n"), "{stdout}");
    assert!(!work.path().join("db/schema.sql").exists(), "DBMATE_NO_DUMP_SCHEMA from .env was ignored");

    std::fs::write(work.path().join("other.env"), format!("MY_DB={}\n", server.url("from_other"))).unwrap();
    let (code, stdout, _) = outcome(squashmate().current_dir(work.path()).env_remove("DATABASE_URL").args([
        "--env-file",
        "other.env",
        "-e",
        "MY_DB",
        "--no-dump-schema",
        "up",
    ]));
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("Creating: from_other\n"), "{stdout}");

    let (code, _, stderr) = outcome(squashmate().current_dir(work.path()).env_remove("DATABASE_URL").args(["--env", "NOPE", "status"]));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("have you set your --url flag or NOPE environment variable?"), "{stderr}");
}

#[tokio::test]
async fn dump_then_load_into_a_fresh_database() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    chain(work.path());
    let (code, stdout, stderr) = outcome(sm(work.path(), &server.url("source")).arg("up"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.ends_with("Writing: ./db/schema.sql\n"), "{stdout}");
    let target = server.url("loaded");
    assert_eq!(outcome(sm(work.path(), &target).arg("create")).0, Some(0));
    let (code, _, stderr) = outcome(sm(work.path(), &target).arg("load"));
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, _) = outcome(sm(work.path(), &target).args(["status", "--exit-code"]));
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.ends_with("Applied: 3\nPending: 0\n"), "{stdout}");
}

#[tokio::test]
async fn status_reports_ledger_rows_without_files() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    chain(work.path());
    let url = server.url("orphans");
    assert_eq!(outcome(sm(work.path(), &url).args(["--no-dump-schema", "up"])).0, Some(0));
    // Squash a and b into a baseline (header names them); c stays; 20231231000000 has no file at all.
    let header =
        squashmate::baseline::BaselineHeader { replaces: vec!["20240101000000".into(), "20240102000000".into()], chain_hash: "x".into() };
    let dir = work.path().join("db/migrations");
    std::fs::remove_file(dir.join("20240101000000_a.sql")).unwrap();
    std::fs::remove_file(dir.join("20240102000000_b.sql")).unwrap();
    std::fs::write(
        dir.join("00000000000000_baseline.sql"),
        format!("{}-- migrate:up\ncreate table a (id int);\ncreate table b (id int);\n-- migrate:down\n", header.render()),
    )
    .unwrap();
    let client = server.connect("orphans").await.unwrap();
    client.batch_execute("insert into schema_migrations values ('00000000000000'), ('20231231000000')").await.unwrap();
    let (code, stdout, _) = outcome(sm(work.path(), &url).args(["status", "--exit-code"]));
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(
        stdout,
        "[X] 00000000000000_baseline.sql\n[X] 20240103000000_c.sql\n\nApplied: 2\nPending: 0\n\nApplied without a migration file: 3\n\
         [?] 20231231000000 (no file: restore it, or check how it got into the ledger)\n\
         [X] 20240101000000 (replaced by baseline 00000000000000_baseline.sql)\n\
         [X] 20240102000000 (replaced by baseline 00000000000000_baseline.sql)\n"
    );
    let (code, _, stderr) = outcome(sm(work.path(), &url).args(["--no-dump-schema", "rollback", "--steps", "2"]));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("can't rollback version 20240102000000: it was squashed into 00000000000000_baseline.sql"), "{stderr}");
    // Nothing was rolled back: every file is checked before the first runs.
    assert_eq!(outcome(sm(work.path(), &url).args(["status", "--exit-code"])).0, Some(0));
}

#[tokio::test]
async fn strict_rollback_to_flags_after_the_command_and_dump_warnings() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    chain(work.path());
    let url = server.url("flags");
    let (code, stdout, stderr) = outcome(sm(work.path(), &url).args(["up", "-d", "db/migrations", "--no-dump-schema"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let (code, stdout, _) = outcome(sm(work.path(), &url).args(["--no-dump-schema", "rollback", "--to", "20240101000000"]));
    assert_eq!(code, Some(0));
    assert_eq!(stdout.matches("Rolled back: ").count(), 2, "{stdout}");
    // An older migration appears: --strict refuses with dbmate's message.
    write_migrations(
        &work.path().join("db/migrations"),
        &[("20231201000000_old.sql", "-- migrate:up\ncreate table old (id int);\n-- migrate:down\n")],
    );
    let (code, _, stderr) = outcome(sm(work.path(), &url).args(["--strict", "--no-dump-schema", "migrate"]));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("migration `20231201000000` is out of order with already applied migrations, the version number has to be higher than the applied migration `20240101000000` in --strict mode"), "{stderr}");
    // A dump that fails is a warning, not silence, and not a failed migration.
    let (code, stdout, stderr) = outcome(sm(work.path(), &url).env("SQUASHMATE_PG_DUMP", "/nonexistent/pg_dump").arg("migrate"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("Applied: 20240103000000_c.sql"), "{stdout}");
    assert!(stderr.contains("Warning: the schema file ./db/schema.sql was not written"), "{stderr}");
}

#[tokio::test]
async fn passwords_never_appear() {
    let work = tempfile::tempdir().unwrap();
    chain(work.path());
    let server = local_server().await;
    let info = server.connect_info();
    for (args, url) in [
        (vec!["status"], format!("postgres://app:hunter2@{}:{}/missing_db?sslmode=disable", info.host, info.port)),
        (vec!["up"], "postgres://app:hunter2@127.0.0.1:1/x?sslmode=disable".to_string()),
        (vec!["status"], "mysql://app:hunter2@host/x".to_string()),
        (vec!["status"], "postgres://app:hunter2@host/x?sslmode=sometimes".to_string()),
    ] {
        let (code, stdout, stderr) = outcome(sm(work.path(), &url).args(&args));
        assert_eq!(code, Some(2), "{args:?} {url}: {stderr}");
        assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"), "password shown: {stdout}{stderr}");
    }
}

#[tokio::test]
async fn a_fleet_of_databases_one_lagging_and_one_unreachable() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    // Three databases at the end of the chain, one ten files in, one nobody answers for.
    let older = work.path().join("older");
    std::fs::create_dir(&older).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(work.path().join("db/migrations")).unwrap().flatten().map(|e| e.file_name()).collect();
    names.sort();
    for name in &names[..10] {
        std::fs::copy(work.path().join("db/migrations").join(name), older.join(name)).unwrap();
    }
    for db in ["fleet_a", "fleet_b", "fleet_c"] {
        let (code, _, stderr) = outcome(squashmate().current_dir(work.path()).args(["--no-dump-schema", "-u", &server.url(db), "up"]));
        assert_eq!(code, Some(0), "{stderr}");
    }
    let (code, _, stderr) =
        outcome(squashmate().current_dir(work.path()).args(["--no-dump-schema", "-d", "older", "-u", &server.url("fleet_old"), "up"]));
    assert_eq!(code, Some(0), "{stderr}");
    let (a, b, c, old) = (server.url("fleet_a"), server.url("fleet_b"), server.url("fleet_c"), server.url("fleet_old"));
    let unreachable = "postgres://app:${FLEET_PASSWORD}@127.0.0.1:1/nowhere?sslmode=disable";
    std::fs::write(work.path().join("targets"), format!("# every database we run\n{a}\n{b}  # eu\n\n{old}\n{unreachable}\n{c}\n")).unwrap();
    let fleet = |args: &[&str]| outcome(squashmate().current_dir(work.path()).env("FLEET_PASSWORD", "hunter2").args(args));
    let last = names.last().unwrap().to_string_lossy()[..14].to_string();
    let tenth = names[9].to_string_lossy()[..14].to_string();

    let (code, stdout, stderr) = fleet(&["--targets", "targets", "status"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("{tenth}  ")) && stdout.contains("20 pending"), "{stdout}");
    assert_eq!(stdout.matches("up to date").count(), 3, "{stdout}");
    assert!(stdout.contains("127.0.0.1:1/nowhere") && stdout.contains("FAILED") && !stdout.contains("hunter2"), "{stdout}");
    assert!(stdout.contains("5 target(s): 4 ok, 1 failed"), "{stdout}");
    // Each target is counted on stderr as it is done (a plain line: stderr is not a terminal).
    assert_eq!(stderr.matches("status [").count(), 5, "{stderr}");
    assert!(stderr.contains("status [5/5] done: "), "{stderr}");

    // A squash over the fleet reads every ledger first and names who cannot take it.
    std::fs::write(work.path().join("db/squash.toml"), "[retire]\ntables = []\n").unwrap();
    let (code, _, stderr) = fleet(&["--targets", "targets", "squash", "--pg", "local"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&format!("fleet%5Fold?sslmode=disable is at {tenth}: it lacks 20 version(s)")), "{stderr}");
    assert!(stderr.contains("nowhere?sslmode=disable: its ledger could not be read"), "{stderr}");
    assert!(stderr.contains(&format!("`squash --through {tenth}` fits them all")), "{stderr}");
    assert_eq!(std::fs::read_dir(work.path().join("db/migrations")).unwrap().count(), 30, "nothing was written");

    // A canary that fails stops the rollout before anything else is touched.
    std::fs::write(work.path().join("canary_first"), format!("{unreachable}\n{old}\n")).unwrap();
    let (code, stdout, _) = fleet(&["--no-dump-schema", "--targets", "canary_first", "--canary", "1", "up"]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("skipped: a canary target failed"), "{stdout}");

    let (code, stdout, stderr) = fleet(&["--no-dump-schema", "--targets", "targets", "--parallel", "2", "up", "--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((doc["ok"].as_u64(), doc["failed"].as_u64()), (Some(4), Some(1)));
    assert!(!stderr.contains("up ["), "no progress beside JSON: {stderr}");
    let results = doc["targets"].as_array().unwrap();
    assert_eq!(results[2]["result"], "applied 20");
    assert!(results.iter().take(4).chain(results.iter().skip(4)).filter(|r| r["ok"] == true).all(|r| r["position"] == last.as_str()));
    let target = results[3]["target"].as_str().unwrap();
    assert!(target.contains("nowhere") && target.contains("********") && !target.contains("hunter2"), "{target}");
    assert!(results[3]["result"].as_str().unwrap().contains("unable to connect"), "{stdout}");
    assert_eq!(results[3]["line"], 6);

    // Each database holds each migration once, and a shard takes its share.
    for db in ["fleet_a", "fleet_b", "fleet_c", "fleet_old"] {
        let client = server.connect(db).await.unwrap();
        let row = client.query_one("select count(*), count(distinct version) from schema_migrations", &[]).await.unwrap();
        assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (30, 30), "{db}");
    }
    let (code, stdout, _) = fleet(&["--targets", "targets", "--shard", "1/2", "status"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("fleet%5Fa") && stdout.contains("fleet%5Fold") && stdout.contains("fleet%5Fc"), "{stdout}");
    assert!(!stdout.contains("fleet%5Fb") && stdout.contains("3 target(s): 3 ok, 0 failed"), "{stdout}");

    // Drift over the fleet: one ephemeral server replays the chain for each; manual DDL is named.
    server.connect("fleet_b").await.unwrap().batch_execute("alter table users add column hand_made int").await.unwrap();
    std::fs::write(work.path().join("two"), format!("{a}\n{b}\n")).unwrap();
    let (code, stdout, stderr) = fleet(&["--targets", "two", "drift", "--pg", "local"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("ok: no drift at the 30 version(s)") && stdout.contains("FAILED: drift: 1 difference(s)"), "{stdout}");
}
