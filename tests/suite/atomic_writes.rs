//! A squash (and `new`, `plan --write`) stopped anywhere while it writes leaves the migrations
//! directory exactly its old set of files or its new one; the next command says which and how
//! to finish or undo it; a full disk fails the write and leaves the old set.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The bundled dbmate the squash checks the new directory with.
fn dbmate() -> std::path::PathBuf {
    std::env::var_os("SQUASHMATE_DBMATE")
        .map(Into::into)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/@dbmate/linux-x64/bin/dbmate"))
}

/// Every file of the migrations directory and `migrations.sum`, with its bytes; and whether a
/// staging directory is left.
fn state(work: &Path) -> (BTreeMap<String, Vec<u8>>, Option<Vec<u8>>) {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(work.join("db/migrations")).unwrap().flatten() {
        files.insert(entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).unwrap());
    }
    (files, std::fs::read(work.join("db/migrations.sum")).ok())
}

fn git(work: &Path, args: &[&str]) {
    let out =
        Command::new("git").current_dir(work).args(["-c", "user.email=t@example.com", "-c", "user.name=t"]).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", common::all_output(&out));
}

/// A chain of 40 generated migrations with its `migrations.sum`, committed; the squash through
/// the 10th keeps 30, so its write has more than 30 steps to stop at.
fn chain(work: &Path) -> String {
    let dir = work.join("db/migrations");
    squashmate::chaingen::write_chain(&dir, 40, 7).unwrap();
    std::fs::write(work.join("db/squash.toml"), "[retire]\ntables = []\n").unwrap();
    let out = common::run(work, &["hash"]);
    assert!(out.status.success(), "{}", common::all_output(&out));
    git(work, &["init", "-q"]);
    git(work, &["add", "-A"]);
    git(work, &["commit", "-qm", "the chain"]);
    squashmate::migration::discover(std::slice::from_ref(&dir)).unwrap().files[9].version.clone()
}

fn squash(work: &Path, through: &str, abort_at: Option<u32>) -> (Option<i32>, String, String) {
    let scratch = work.join("tmp");
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::set_permissions(&scratch, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let mut command = common::squashmate();
    command.current_dir(work).args(["squash", "--pg", "local", "--date", "20260101", "--through", through]);
    // A stopped run cannot remove its server's files: they stay in the test's directory.
    command.env("SQUASHMATE_DBMATE", dbmate()).env("TMPDIR", &scratch);
    if let Some(step) = abort_at {
        command.env("SQUASHMATE_ABORT_AT", step.to_string());
    }
    common::outcome(&mut command)
}

fn copy(from: &Path, to: &Path) {
    let out = Command::new("cp").arg("-a").arg(format!("{}/.", from.display())).arg(to).output().unwrap();
    assert!(out.status.success(), "cp: {}", common::all_output(&out));
}

/// `lint`, `hash --check` and `gate` all accept `work`'s directory.
fn accepted(work: &Path, when: &str) {
    for args in [&["lint"][..], &["hash", "--check"], &["gate", "--base", "HEAD", "--head", "HEAD"]] {
        let out = common::run(work, args);
        assert!(out.status.success(), "{when}: `{}` refuses: {}", args.join(" "), common::all_output(&out));
    }
}

#[test]
fn a_squash_stopped_anywhere_while_it_writes_leaves_the_old_set_or_the_new_one() {
    let original = common::open_tempdir();
    let through = chain(original.path());
    let old = state(original.path());
    let finished = common::open_tempdir();
    copy(original.path(), finished.path());
    let (code, stdout, stderr) = squash(finished.path(), &through, None);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let new = state(finished.path());
    assert_ne!(old, new);

    let mut stopped = 0;
    for step in 1.. {
        let work = common::open_tempdir();
        copy(original.path(), work.path());
        let (code, stdout, stderr) = squash(work.path(), &through, Some(step));
        if code == Some(0) {
            assert_eq!(state(work.path()), new, "a run that was not stopped writes the new set");
            break;
        }
        assert_eq!(code, None, "stopped at step {step} by the abort: {stdout}{stderr}");
        stopped += 1;
        let files = state(work.path()).0;
        assert!(files == old.0 || files == new.0, "step {step}: the directory holds neither set: {:?}", files.keys());
        let dir = work.path().join("db/migrations");
        let found = squashmate::migration::interrupted(&dir).unwrap().unwrap_or_else(|| panic!("step {step}: nothing detected"));

        // Every command that reads the directory says what happened, and changes nothing.
        for args in [
            &["lint"][..],
            &["hash", "--check"],
            &["gate", "--base", "HEAD", "--head", "HEAD"],
            &["new", "more"],
            &["up", "--url", "postgres://x@127.0.0.1:1/x"],
            &["migrate", "--url", "postgres://x@127.0.0.1:1/x"],
            &["rollback", "--url", "postgres://x@127.0.0.1:1/x"],
            &["status", "--url", "postgres://x@127.0.0.1:1/x"],
        ] {
            let out = common::run(work.path(), args);
            let said = common::all_output(&out);
            assert!(!out.status.success() && said.contains("was interrupted"), "step {step}: `{}`: {said}", args.join(" "));
            assert!(said.contains("squash --abandon"), "step {step}: the way out is named: {said}");
        }
        // Finished or undone, alternately; one stopped before its journal can only be undone.
        let nothing_recorded = matches!(found, squashmate::migration::Interrupted::Staging { .. });
        let (flag, expected) = if step % 2 == 0 && !nothing_recorded { ("--resume", &new) } else { ("--abandon", &old) };
        if nothing_recorded {
            let out = common::run(work.path(), &["squash", "--resume"]);
            assert!(!out.status.success() && common::all_output(&out).contains("nothing to finish"), "{}", common::all_output(&out));
        }
        let out = common::run(work.path(), &["squash", flag]);
        assert!(out.status.success(), "step {step}: squash {flag}: {}", common::all_output(&out));
        assert_eq!(&state(work.path()), expected, "step {step}: after {flag}");
        assert!(squashmate::migration::interrupted(&dir).unwrap().is_none(), "step {step}: nothing left behind");
        accepted(work.path(), &format!("step {step}, after {flag}"));
        let out = common::run(work.path(), &["squash", flag]);
        assert!(!out.status.success() && common::all_output(&out).contains("nothing to"), "a second {flag} has nothing to do");
    }
    assert!(stopped >= 30, "the write was stopped at {stopped} moments");
}

#[test]
fn a_full_disk_fails_the_squash_and_leaves_the_old_set() {
    let original = common::open_tempdir();
    let through = chain(original.path());
    // How much the squash writes besides its baseline: its scripts and report.
    let sized = common::open_tempdir();
    copy(original.path(), sized.path());
    let (code, stdout, stderr) = squash(sized.path(), &through, None);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let pages = |bytes: u64| bytes.div_ceil(4096);
    let tree_pages = |dir: &Path| -> u64 {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .map(|e| pages(e.metadata().map_or(0, |m| if m.is_file() { m.len() } else { 0 })))
            .sum()
    };
    // Room for one more page: the new set written aside (baseline, sums, journal) takes more.
    let room = tree_pages(&original.path().join("db")) + tree_pages(&sized.path().join("db/squash")) + 1;

    // db/ on a filesystem with room for the chain and the scripts, not for the baseline.
    let work = common::open_tempdir();
    copy(original.path(), work.path());
    let db = work.path().join("db");
    let saved = work.path().join("db.saved");
    std::fs::rename(&db, &saved).unwrap();
    std::fs::create_dir(&db).unwrap();
    let mount = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={}", room * 4096)]).arg("tmpfs").arg(&db).output().unwrap();
    assert!(mount.status.success(), "mounting a small tmpfs (the test runs as root): {}", common::all_output(&mount));
    struct Unmount<'p>(&'p Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&db);
    copy(&saved, &db);
    let before = state(work.path());
    let (code, stdout, stderr) = squash(work.path(), &through, None);
    assert_ne!(code, Some(0), "{stdout}{stderr}");
    assert!(code.is_some(), "it fails, it is not killed: {stdout}{stderr}");
    assert!(
        stderr.contains("writing the squashed directory") && stderr.contains("No space left on device"),
        "the message says why: {stderr}"
    );
    assert_eq!(state(work.path()), before, "the old set is intact");
    assert!(squashmate::migration::interrupted(&db.join("migrations")).unwrap().is_none(), "nothing half-written is left");
    accepted(work.path(), "after the full disk");
}

#[test]
fn new_and_plan_write_refuse_while_a_swap_is_interrupted() {
    let work = common::open_tempdir();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[("20240101000000_a.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\n")],
    );
    let out = common::run(work.path(), &["new", "add_b"]);
    assert!(out.status.success(), "{}", common::all_output(&out));
    let staging = work.path().join("db/.migrations.squashmate-swap");
    std::fs::create_dir(&staging).unwrap();
    let before = std::fs::read_dir(work.path().join("db/migrations")).unwrap().count();
    let out = common::run(work.path(), &["new", "add_c"]);
    assert!(!out.status.success() && common::all_output(&out).contains("was interrupted"), "{}", common::all_output(&out));
    assert_eq!(std::fs::read_dir(work.path().join("db/migrations")).unwrap().count(), before, "nothing was written");
    let out = common::run(work.path(), &["squash", "--abandon"]);
    assert!(out.status.success(), "{}", common::all_output(&out));
    assert!(!staging.exists());
    let out = common::run(work.path(), &["new", "add_c"]);
    assert!(out.status.success(), "{}", common::all_output(&out));
    assert_eq!(std::fs::read_dir(work.path().join("db/migrations")).unwrap().count(), before + 1);
}
