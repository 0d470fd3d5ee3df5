//! squashmate and the real dbmate 2.36 take turns on the same database: same ledger, same
//! status lines and exit codes, byte-identical `dump`.

mod common;

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
