//! `up` under stress: many replicas at once, kill -9 at random moments, a failing migration
//! in the middle — the ledger and the schema always agree.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{local_server, outcome, squashmate};
use rand::{Rng, SeedableRng};

fn up(work: &Path, url: &str) -> Command {
    let mut command = squashmate();
    command.current_dir(work).env("DATABASE_URL", url).args(["--no-dump-schema", "up"]);
    command
}

/// The ledger's versions; empty while a killed `up` has not yet created the database or table.
async fn ledger(server: &squashmate::server::EphemeralServer, db: &str) -> Vec<String> {
    let Ok(client) = server.connect(db).await else { return Vec::new() };
    match client.query("select version from schema_migrations order by 1", &[]).await {
        Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
        Err(e) if e.code().map(|c| c.code()) == Some("42P01") => Vec::new(),
        Err(e) => panic!("reading the ledger: {e}"),
    }
}

fn schema_dump(server: &squashmate::server::EphemeralServer, db: &str) -> String {
    let pg_dump = server.binaries().expect("local server").program("pg_dump");
    let out = Command::new(pg_dump).args(["--schema-only", "--no-owner", "--restrict-key=test"]).arg(server.url(db)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn sixteen_replicas_at_once_apply_each_migration_exactly_once() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    squashmate::chaingen::write_chain(&work.path().join("db/migrations"), 200, 16).unwrap();
    let url = server.url("replicas");
    let children: Vec<_> = (0..16).map(|_| up(work.path(), &url).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()).collect();
    let mut applied_lines = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        applied_lines += stdout.matches("\nApplied: ").count() + usize::from(stdout.starts_with("Applied: "));
    }
    assert_eq!(applied_lines, 200, "every migration must be applied exactly once across all replicas");
    assert_eq!(ledger(&server, "replicas").await.len(), 200);
}

#[tokio::test]
async fn kill_9_at_random_moments_never_leaves_a_half_applied_file() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    squashmate::chaingen::write_chain(&work.path().join("db/migrations"), 600, 20).unwrap();
    let url = server.url("killed");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
    let mut previous = 0;
    for round in 0..20 {
        let mut child = up(work.path(), &url).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(20..250)));
        let _ = child.kill();
        let _ = child.wait();
        // Give the server a moment to notice the closed connection and roll back.
        std::thread::sleep(Duration::from_millis(50));
        let now = ledger(&server, "killed").await.len();
        assert!(now >= previous, "round {round}: the ledger shrank");
        previous = now;
    }
    let (code, stdout, stderr) = outcome(&mut up(work.path(), &url));
    assert_eq!(code, Some(0), "the final up failed: {stdout}{stderr}");
    assert_eq!(ledger(&server, "killed").await.len(), 600);

    let clean_url = server.url("clean");
    let (code, _, stderr) = outcome(&mut up(work.path(), &clean_url));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(schema_dump(&server, "killed") == schema_dump(&server, "clean"), "the interrupted database differs from a clean apply");
}

#[tokio::test]
async fn a_failing_migration_stops_with_its_place_and_leaves_the_previous_state() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("db/migrations");
    common::write_migrations(
        &dir,
        &[
            ("1_a.sql", "-- migrate:up\ncreate table a (id int primary key);\n-- migrate:down\ndrop table a;\n"),
            ("2_b.sql", "-- migrate:up\ncreate table b (id int);\n-- migrate:down\ndrop table b;\n"),
            (
                "3_bad.sql",
                "-- migrate:up\ncreate table c (id int);\ninsert into a values (1);\ninsert into a values (1);\n-- migrate:down\n",
            ),
            ("4_d.sql", "-- migrate:up\ncreate table d (id int);\n-- migrate:down\n"),
        ],
    );
    let url = server.url("failing");
    let (code, stdout, stderr) = outcome(&mut up(work.path(), &url));
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("db/migrations/3_bad.sql:4:1"), "{stderr}");
    assert!(stderr.contains("duplicate key value violates unique constraint \"a_pkey\""), "{stderr}");
    assert!(stderr.contains("SQLSTATE 23505"), "{stderr}");
    assert!(stdout.contains("Applied: 2_b.sql") && !stdout.contains("Applied: 3_bad.sql"), "{stdout}");
    assert_eq!(ledger(&server, "failing").await, ["1", "2"]);
    let client = server.connect("failing").await.unwrap();
    let tables: Vec<String> = client
        .query("select tablename::text from pg_tables where schemaname = 'public' order by 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tables, ["a", "b", "schema_migrations"], "the failed file left something behind");
    let rows: i64 = client.query_one("select count(*) from a", &[]).await.unwrap().get(0);
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn a_held_lock_makes_up_wait_then_time_out_with_a_clear_message() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[("1_a.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\n")],
    );
    let db = server.create_database(None).await.unwrap();
    let holder = server.connect(&db).await.unwrap();
    let key = squashmate::ledger::lock_key(&squashmate::ledger::LedgerTable::default());
    holder.query_one("select pg_advisory_lock($1)", &[&key]).await.unwrap();
    let (code, _, stderr) = outcome(up(work.path(), &server.url(&db)).args(["--lock-timeout", "1s"]));
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("Waiting for squashmate's migration lock (advisory lock") && stderr.contains("held by backend pid"),
        "{stderr}"
    );
    assert!(stderr.contains("raise --lock-timeout"), "{stderr}");
    holder.query_one("select pg_advisory_unlock($1)", &[&key]).await.unwrap();
    let (code, stdout, _) = outcome(&mut up(work.path(), &server.url(&db)));
    assert_eq!(code, Some(0));
    assert!(stdout.contains("Applied: 1_a.sql"));
}

#[tokio::test]
async fn an_index_left_by_an_interrupted_create_index_concurrently_is_recovered() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[
            ("1_t.sql", "-- migrate:up\ncreate table t (a int, b int);\n-- migrate:down\n"),
            ("2_ia.sql", "-- migrate:up transaction:false\ncreate index concurrently t_a_idx on t (a);\n-- migrate:down\n"),
            ("3_ib.sql", "-- migrate:up transaction:false\ncreate index concurrently t_b_idx on t (b);\n-- migrate:down\n"),
        ],
    );
    let db = server.create_database(None).await.unwrap();
    let client = server.connect(&db).await.unwrap();
    // As a killed run leaves it: 1 recorded; t_a_idx built (valid) and t_b_idx invalid, neither recorded.
    client
        .batch_execute(
            "create table schema_migrations (version varchar primary key); insert into schema_migrations values ('1');
             create table t (a int, b int); create index t_a_idx on t (a); create index t_b_idx on t (b);
             update pg_index set indisvalid = false where indexrelid = 'public.t_b_idx'::regclass;",
        )
        .await
        .unwrap();
    let (code, stdout, stderr) = outcome(&mut up(work.path(), &server.url(&db)));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("index public.t_a_idx already exists and is valid"), "{stderr}");
    assert!(stderr.contains("dropped the invalid index public.t_b_idx left by an interrupted run, then built it again"), "{stderr}");
    let valid: bool =
        client.query_one("select indisvalid from pg_index where indexrelid = 'public.t_b_idx'::regclass", &[]).await.unwrap().get(0);
    assert!(valid);
    assert_eq!(ledger(&server, &db).await, ["1", "2", "3"]);
}

/// dbmate applies the good files before a bad one and fails there; squashmate checks every
/// pending file first, applies none, and says so: no `Applying:` line for a file not applied.
#[tokio::test]
async fn a_bad_pending_file_stops_up_before_anything_and_says_none_was_applied() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[
            ("1_good.sql", "-- migrate:up\ncreate table good (id int);\n-- migrate:down\ndrop table good;\n"),
            ("2_bad.sql", "-- migrate:up\ncreate tabel bad (id int);\n-- migrate:down\n"),
        ],
    );
    let db = server.create_database(None).await.unwrap();
    let (code, stdout, stderr) = outcome(&mut up(work.path(), &server.url(&db)));
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(!stdout.contains("Applying:") && !stdout.contains("Applied:"), "a line for a file that was not applied: {stdout}");
    assert!(stderr.contains("nothing was run (0 files applied") && stderr.contains("2_bad.sql:2:"), "{stderr}");
    assert!(ledger(&server, &db).await.is_empty());
}
