//! squashmate and the real dbmate 2.36 take turns on the same database: same ledger, same
//! status lines and exit codes, byte-identical `dump`.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{copy_example, dbmate, local_server, outcome, squashmate};

/// Both tools pointed at the same database, migrations and schema file.
fn with_env(mut command: Command, work: &Path, url: &str) -> Command {
    command.current_dir(work).env("DATABASE_URL", url).env_remove("DBMATE_MIGRATIONS_DIR");
    command
}

#[tokio::test]
async fn squashmate_applies_and_dbmate_agrees() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    copy_example(work.path());
    let url = server.url("compat_a");

    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &url).arg("up"));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with(
            "Creating: compat_a\nApplying: 20240105090000_create_organizations.sql\nApplied: 20240105090000_create_organizations.sql in "
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("Writing: ./db/schema.sql\n"), "{stdout}");

    let (code, stdout, _) = outcome(with_env(dbmate(), work.path(), &url).args(["status", "--exit-code"]));
    assert_eq!(code, Some(0));
    assert!(stdout.ends_with("\nApplied: 30\nPending: 0\n"), "{stdout}");
    assert!(!stdout.contains("[ ]"));

    let (code, stdout, stderr) = outcome(with_env(dbmate(), work.path(), &url).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.contains("Applying"), "dbmate re-applied something: {stdout}");
}

#[tokio::test]
async fn dbmate_applies_half_and_squashmate_the_rest() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    copy_example(work.path());
    let url = server.url("compat_b");
    // dbmate applies the first 15 files (the rest are hidden from it for a moment).
    let hidden = work.path().join("later");
    std::fs::create_dir(&hidden).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(work.path().join("db/migrations")).unwrap().flatten().map(|e| e.file_name()).collect();
    names.sort();
    for name in &names[15..] {
        std::fs::rename(work.path().join("db/migrations").join(name), hidden.join(name)).unwrap();
    }
    let (code, _, stderr) = outcome(with_env(dbmate(), work.path(), &url).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stderr}");
    for name in &names[15..] {
        std::fs::rename(hidden.join(name), work.path().join("db/migrations").join(name)).unwrap();
    }
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout.matches("Applied: ").count(), 15, "{stdout}");
    assert!(!stdout.contains("Creating:"), "{stdout}");

    // Status: identical lines and exit codes from both tools, in three states.
    let compare = |args: &[&str]| {
        let ours = outcome(with_env(squashmate(), work.path(), &url).args(args));
        let theirs = outcome(with_env(dbmate(), work.path(), &url).args(args));
        assert_eq!((ours.0, &ours.1), (theirs.0, &theirs.1), "status {args:?} differs; squashmate stderr: {}", ours.2);
    };
    compare(&["status"]);
    compare(&["status", "--exit-code"]);
    let (code, _, stderr) = outcome(with_env(dbmate(), work.path(), &url).args(["--no-dump-schema", "rollback"]));
    assert_eq!(code, Some(0), "{stderr}");
    compare(&["status"]);
    compare(&["status", "--exit-code"]);
    compare(&["status", "--quiet"]);
    let (code, stdout, _) = outcome(with_env(squashmate(), work.path(), &url).args(["--no-dump-schema", "rollback", "--steps", "3"]));
    assert_eq!(code, Some(0));
    assert_eq!(stdout.matches("Rolled back: ").count(), 3, "{stdout}");
    compare(&["status", "--exit-code"]);
}

#[tokio::test]
async fn dump_is_byte_identical_to_dbmates() {
    let server = local_server().await;
    for (name, chain) in [("example", None), ("generated", Some(300))] {
        let work = tempfile::tempdir().unwrap();
        match chain {
            None => copy_example(work.path()),
            Some(n) => squashmate::chaingen::write_chain(&work.path().join("db/migrations"), n, 9).unwrap(),
        }
        let url = server.url(&format!("dump_{name}"));
        let (code, _, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["--no-dump-schema", "up"]));
        assert_eq!(code, Some(0), "{stderr}");
        let (code, _, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["-s", "ours.sql", "dump"]));
        assert_eq!(code, Some(0), "{stderr}");
        let (code, _, stderr) = outcome(with_env(dbmate(), work.path(), &url).args(["-s", "theirs.sql", "dump"]));
        assert_eq!(code, Some(0), "{stderr}");
        let ours = std::fs::read(work.path().join("ours.sql")).unwrap();
        let theirs = std::fs::read(work.path().join("theirs.sql")).unwrap();
        assert!(ours == theirs, "{name}: squashmate dump differs from dbmate dump");
        assert!(String::from_utf8_lossy(&ours).contains("INSERT INTO public.schema_migrations (version) VALUES"));
    }
}

/// A database no migration ran on has no ledger table: dbmate still writes the schema file,
/// with an empty ledger block, and so does squashmate, byte for byte.
#[tokio::test]
async fn dump_without_a_ledger_table_is_written_as_dbmate_writes_it() {
    let server = local_server().await;
    let db = server.create_database(None).await.unwrap();
    server.connect(&db).await.unwrap().batch_execute("create table made_by_hand (id int)").await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let url = server.url(&db);
    let (code, _, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["-s", "ours.sql", "dump"]));
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = outcome(with_env(dbmate(), work.path(), &url).args(["-s", "theirs.sql", "dump"]));
    assert_eq!(code, Some(0), "{stderr}");
    let (ours, theirs) = (std::fs::read(work.path().join("ours.sql")).unwrap(), std::fs::read(work.path().join("theirs.sql")).unwrap());
    assert!(ours == theirs, "squashmate's dump differs from dbmate's:\n{}", String::from_utf8_lossy(&ours));
    assert!(String::from_utf8_lossy(&ours).contains("CREATE TABLE public.made_by_hand"));
}

#[tokio::test]
async fn a_custom_ledger_table_in_its_own_schema_is_shared() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    copy_example(work.path());
    let url = server.url("compat_c");
    let args = ["--no-dump-schema", "--migrations-table", "ledger.applied", "up"];
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(args));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("Creating schema: ledger"), "{stdout}");
    let (code, stdout, _) = outcome(with_env(dbmate(), work.path(), &url).args(["--migrations-table", "ledger.applied", "status"]));
    assert_eq!(code, Some(0));
    assert!(stdout.ends_with("Applied: 30\nPending: 0\n"), "{stdout}");
}

/// A chain modelled on lobu's: its down block runs `DROP INDEX CONCURRENTLY` with other
/// statements (dbmate's rollback of it fails), and a file whose up block is only comments.
fn chain_with_a_broken_down_block(work: &Path) {
    common::write_migrations(
        &work.join("db/migrations"),
        &[
            ("20260101000000_tables.sql", "-- migrate:up\ncreate table t (a int, b int);\n-- migrate:down\ndrop table t;\n"),
            (
                "20260102000000_cleanup_concurrent.sql",
                "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY t_a_idx;\nCREATE INDEX t_b_idx ON t (b);\n",
            ),
            (
                "20260103000000_view_commented_out.sql",
                "-- migrate:up\n-- create view t_view as select a from t;\n\n-- migrate:down\n-- drop view t_view;\n",
            ),
        ],
    );
}

#[tokio::test]
async fn a_problem_in_a_down_block_stops_only_the_rollback_of_that_file() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    chain_with_a_broken_down_block(work.path());
    let url = server.url("down_block");
    let place = "20260102000000_cleanup_concurrent.sql:5:1";

    // lint names it (an error: rolling the file back fails) and the comment-only up block (a warning).
    let (code, stdout, _) = outcome(with_env(squashmate(), work.path(), &url).arg("lint"));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("error[not-alone-without-transaction]") && stdout.contains(place), "{stdout}");
    assert!(stdout.contains("warning[empty-up]") && stdout.contains("20260103000000_view_commented_out.sql:1:1"), "{stdout}");

    // up applies all three, as dbmate does, and says what rolling back will meet.
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout.matches("Applied: ").count(), 3, "{stdout}");
    assert!(stderr.contains("warning[not-alone-without-transaction]") && stderr.contains(place), "{stderr}");
    assert!(stderr.contains("rolling back this file will refuse"), "{stderr}");

    // replay and diff (the chain against the database it built) proceed with the warning.
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["replay", "--pg", "local"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Replayed 3 migration(s)") && stderr.contains(place), "{stdout}{stderr}");
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["diff", "db/migrations", &url, "--pg", "local"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains(place), "{stderr}");

    // rollback refuses before touching anything: the ledger and the index stay.
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &url).args(["--no-dump-schema", "rollback", "--steps", "2"]));
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains(place) && stderr.contains("nothing was run") && stderr.contains("next:"), "{stderr}");
    let client = server.connect("down_block").await.unwrap();
    let ledger: Vec<String> =
        client.query("select version from schema_migrations order by 1", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(ledger, ["20260101000000", "20260102000000", "20260103000000"]);
    let index = client.query_one("select to_regclass('public.t_a_idx') is not null", &[]).await.unwrap();
    assert!(index.get::<_, bool>(0), "the index is still there");

    // The finding is real: dbmate's own rollback of that file fails in PostgreSQL.
    let (code, _, stderr) = outcome(with_env(dbmate(), work.path(), &url).args(["--no-dump-schema", "rollback"]));
    assert_eq!(code, Some(0), "dbmate rolls back the comment-only file: {stderr}");
    let (code, _, stderr) = outcome(with_env(dbmate(), work.path(), &url).args(["--no-dump-schema", "rollback"]));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot run inside a transaction block"), "{stderr}");
}

#[tokio::test]
async fn a_comment_only_up_block_is_recorded_exactly_as_dbmate_records_it() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    chain_with_a_broken_down_block(work.path());
    let (ours, theirs) = (server.url("comment_only_ours"), server.url("comment_only_theirs"));
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &ours).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("warning[empty-up]"), "{stderr}");
    let (code, _, stderr) = outcome(with_env(dbmate(), work.path(), &theirs).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stderr}");
    let mut ledgers = Vec::new();
    for db in ["comment_only_ours", "comment_only_theirs"] {
        let client = server.connect(db).await.unwrap();
        let rows = client.query("select version from public.schema_migrations order by 1", &[]).await.unwrap();
        ledgers.push(rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>());
    }
    assert_eq!(ledgers[0], ledgers[1]);
    assert_eq!(ledgers[0].len(), 3);
    // And dbmate sees nothing pending on ours.
    let (code, stdout, _) = outcome(with_env(dbmate(), work.path(), &ours).args(["status", "--exit-code"]));
    assert_eq!(code, Some(0), "{stdout}");
}

/// The real dbmate 2.36 records a file's version once per `-- migrate:up` block: a second
/// block fails on the ledger's key. dbmate 2.37 applies the file as one unit, with one ledger
/// row, as squashmate does (and squashmate warns: 2.36 still fails on it).
#[tokio::test]
async fn a_second_up_block_breaks_dbmate_236_and_squashmate_warns_and_applies_it_once() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    crate::common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_two_blocks.sql",
            "-- migrate:up\ncreate table a (x int);\n-- migrate:down\ndrop table a;\n-- migrate:up\ncreate table b (x int);\n-- migrate:down\ndrop table b;\n",
        )],
    );
    let (ours, theirs) = (server.url("two_blocks_ours"), server.url("two_blocks_theirs"));
    let (code, stdout, stderr) = outcome(with_env(dbmate(), work.path(), &theirs).args(["--no-dump-schema", "up"]));
    let version = String::from_utf8_lossy(&dbmate().arg("--version").output().unwrap().stdout).into_owned();
    if version.contains("version 2.36.") {
        assert_ne!(code, Some(0), "dbmate 2.36 fails on the second block: {stderr}");
        assert!(stderr.contains("schema_migrations_pkey"), "{stderr}");
    } else {
        assert_eq!(code, Some(0), "{version}: one unit, as squashmate: {stdout}{stderr}");
        let client = server.connect("two_blocks_theirs").await.unwrap();
        let rows: i64 = client.query_one("select count(*) from schema_migrations", &[]).await.unwrap().get(0);
        let tables: i64 = client.query_one("select count(*) from pg_tables where tablename in ('a', 'b')", &[]).await.unwrap().get(0);
        assert_eq!((rows, tables), (1, 2), "{version}");
    }
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &ours).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("warning[several-up-blocks]"), "{stderr}");
    let client = server.connect("two_blocks_ours").await.unwrap();
    let rows: i64 = client.query_one("select count(*) from schema_migrations", &[]).await.unwrap().get(0);
    let tables: i64 = client.query_one("select count(*) from pg_tables where tablename in ('a', 'b')", &[]).await.unwrap().get(0);
    assert_eq!((rows, tables), (1, 2));
}

/// A migration that changes the session's search_path: the real dbmate (2.36 and 2.37) then
/// writes its ledger row into the new schema and fails. lint says so as an error; squashmate's
/// `up` qualifies its ledger, applies the file and prints the same line.
#[tokio::test]
async fn a_session_search_path_breaks_dbmate_and_lint_says_so() {
    let server = local_server().await;
    let work = tempfile::tempdir().unwrap();
    crate::common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_other.sql",
            "-- migrate:up\ncreate schema other;\nset search_path to other;\ncreate table x (id int);\n-- migrate:down\n",
        )],
    );
    let (code, stdout, stderr) = outcome(with_env(dbmate(), work.path(), &server.url("sp_theirs")).args(["--no-dump-schema", "up"]));
    assert_ne!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("\"other.schema_migrations\" does not exist"), "{stderr}");
    let (code, stdout, _) = outcome(squashmate().current_dir(work.path()).arg("lint"));
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("error[session-search-path]") && stdout.contains("dbmate fails on this file"), "{stdout}");
    assert!(stdout.contains("20240101000000_other.sql:3:1"), "{stdout}");
    let (code, stdout, stderr) = outcome(with_env(squashmate(), work.path(), &server.url("sp_ours")).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Applied: 20240101000000_other.sql") && stderr.contains("session-search-path"), "{stdout}{stderr}");
}
