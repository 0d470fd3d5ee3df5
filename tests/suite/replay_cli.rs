//! `squashmate replay` end to end on the local provider: the example chain, a generated
//! 1,000-migration chain, a failing chain, and Ctrl-C — with no server or files left behind.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{all_output, open_tempdir, postgres_processes_mentioning, squashmate, write_migrations};

fn assert_nothing_left(tmp: &Path) {
    let leftovers: Vec<_> = std::fs::read_dir(tmp).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(leftovers.is_empty(), "temp files left behind: {leftovers:?}");
    let processes = postgres_processes_mentioning(&tmp.display().to_string());
    assert!(processes.is_empty(), "postgres still running: {processes:?}");
}

#[test]
fn the_example_chain_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = open_tempdir();
    let out = squashmate().args(["replay", "--pg", "local"]).current_dir(root).env("TMPDIR", tmp.path()).output().unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Applied: 20240105090000_create_organizations.sql in "), "{text}");
    assert!(text.contains("Replayed 30 migration(s)"), "{text}");
    assert_nothing_left(tmp.path());
}

#[test]
fn a_generated_chain_of_1000_lints_clean_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    squashmate::chaingen::write_chain(dir.path(), 1000, 42).unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let out = squashmate().args(["lint", "-d", dir_arg]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = squashmate().args(["replay", "-d", dir_arg]).output().unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Replayed 1000 migration(s)"), "{text}");
}

#[test]
fn a_failing_migration_is_located_and_everything_is_cleaned_up() {
    let work = tempfile::tempdir().unwrap();
    let tmp = open_tempdir();
    write_migrations(
        &work.path().join("db/migrations"),
        &[
            ("1_ok.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\n"),
            ("2_bad.sql", "-- migrate:up\ncreate table b (id int);\ninsert into b select id from missing_table;\n-- migrate:down\n"),
            ("3_never.sql", "-- migrate:up\ncreate table c (id int);\n-- migrate:down\n"),
        ],
    );
    let out = squashmate().args(["replay"]).current_dir(work.path()).env("TMPDIR", tmp.path()).output().unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    // PostgreSQL's position (the relation name) mapped back to the file.
    assert!(text.contains("db/migrations/2_bad.sql:3:30"), "{text}");
    assert!(text.contains("relation \"missing_table\" does not exist"), "{text}");
    assert!(text.contains("sqlstate-42P01"), "{text}");
    assert!(text.contains("replay stopped after 1 applied migration(s)"), "{text}");
    assert!(!text.contains("3_never.sql"), "{text}");
    assert_nothing_left(tmp.path());
}

#[test]
fn a_failure_in_a_transaction_false_block_is_located() {
    let work = tempfile::tempdir().unwrap();
    write_migrations(
        &work.path().join("db/migrations"),
        &[
            ("1_t.sql", "-- migrate:up\ncreate table t (a int);\n-- migrate:down\n"),
            ("2_idx.sql", "-- migrate:up transaction:false\ncreate index concurrently i on t (nope);\n-- migrate:down\n"),
        ],
    );
    let out = squashmate().args(["replay", "--format", "github"]).current_dir(work.path()).output().unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("::error file=db/migrations/2_idx.sql,line=2,col="), "{text}");
    assert!(text.contains("column \"nope\" does not exist"), "{text}");
}

#[test]
fn ctrl_c_during_a_replay_stops_the_server_and_removes_its_files() {
    let work = tempfile::tempdir().unwrap();
    let tmp = open_tempdir();
    write_migrations(
        &work.path().join("db/migrations"),
        &[
            ("1_a.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\n"),
            ("2_slow.sql", "-- migrate:up\nselect pg_sleep(60);\n-- migrate:down\n"),
        ],
    );
    let mut child = squashmate()
        .args(["replay"])
        .current_dir(work.path())
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        if line.unwrap().contains("Applied: 1_a.sql") {
            break;
        }
    }
    // The slow migration is now running on the server.
    std::thread::sleep(Duration::from_millis(300));
    assert!(!postgres_processes_mentioning(&tmp.path().display().to_string()).is_empty(), "server should be running");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "shutdown took {:?}", started.elapsed());
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("interrupted: stopping ephemeral servers"), "{stderr}");
    assert_nothing_left(tmp.path());
}

#[test]
fn missing_server_binaries_give_a_clear_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = squashmate().args(["replay", "--pg", "local", "--pg-bin", "/nonexistent/bin"]).current_dir(root).output().unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("/nonexistent/bin (from --pg-bin) has no working initdb and postgres"), "{text}");
    assert!(text.contains("apt-get install postgresql"), "{text}");
}

#[test]
fn check_down_names_downs_that_leave_something_behind_or_cannot_run() {
    let exact = tempfile::tempdir().unwrap();
    common::write_migrations(
        exact.path(),
        &[
            ("1_t.sql", "-- migrate:up\ncreate table t (a int);\n-- migrate:down\ndrop table t;\n"),
            ("2_b.sql", "-- migrate:up\nalter table t add column b int;\n-- migrate:down\nalter table t drop column b;\n"),
            (
                "3_idx.sql",
                "-- migrate:up transaction:false\ncreate index concurrently t_a_idx on t (a);\n-- migrate:down transaction:false\ndrop index concurrently t_a_idx;\n",
            ),
        ],
    );
    let out = common::run(exact.path(), &["replay", "--check-down", "-d", ".", "--pg", "local"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::all_output(&out));
    assert!(common::all_output(&out).contains("3 of 3 down block(s) checked: 3 restore the schema\n"), "{}", common::all_output(&out));

    let sloppy = tempfile::tempdir().unwrap();
    common::write_migrations(
        sloppy.path(),
        &[
            ("1_t.sql", "-- migrate:up\ncreate table t (a int);\n-- migrate:down\ndrop table t;\n"),
            ("2_b.sql", "-- migrate:up\nalter table t add column b int;\n-- migrate:down\nselect 1;\n"),
            (
                "3_idx.sql",
                "-- migrate:up transaction:false\ncreate index concurrently t_a_idx on t (a);\n-- migrate:down transaction:false\ndrop index concurrently t_a_idx;\nselect 1;\n",
            ),
        ],
    );
    let out = common::run(sloppy.path(), &["replay", "--check-down", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("error[down-incomplete]") && text.contains("2_b.sql") && text.contains("column b"), "{text}");
    assert!(text.contains("error[down-fails]") && text.contains("3_idx.sql") && text.contains("the down block cannot run"), "{text}");
    assert!(text.contains("3 of 3 down block(s) checked: 1 restore the schema, 1 fail, 1 do not restore the schema"), "{text}");
}

#[test]
fn trace_sees_rewrites_and_locks_and_judges_the_static_hazards() {
    let dir = tempfile::tempdir().unwrap();
    common::write_migrations(
        dir.path(),
        &[
            (
                "1_t.sql",
                "-- migrate:up\ncreate table t (id bigint primary key, a int, v varchar(10));\ncreate table copy as select id, v from t;\n-- migrate:down\n",
            ),
            ("2_bigint.sql", "-- migrate:up\nset lock_timeout = '2s';\nalter table t alter column a type bigint;\n-- migrate:down\n"),
            ("3_widen.sql", "-- migrate:up\nset lock_timeout = '2s';\nalter table t alter column v type varchar(50);\n-- migrate:down\n"),
            ("4_cic.sql", "-- migrate:up transaction:false\ncreate index concurrently t_a_idx on t (a);\n-- migrate:down\n"),
            // The chain did not say what `copy.v` is: the static rule assumes a rewrite; the server disproves it.
            (
                "5_unknown_type.sql",
                "-- migrate:up\nset lock_timeout = '2s';\nalter table copy alter column v type text;\n-- migrate:down\n",
            ),
        ],
    );
    let out = common::run(dir.path(), &["replay", "--trace", "--format", "json", "-d", ".", "--pg", "local"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::all_output(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let statement = |file: usize, index: usize| doc["files"][file]["statements"][index].clone();
    let bigint = statement(1, 1);
    assert_eq!(bigint["rewritten"], serde_json::json!(["public.t"]), "{bigint}");
    assert_eq!(bigint["locks"]["public.t"], "AccessExclusiveLock");
    assert_eq!(bigint["hazards"][0]["server"]["verdict"], "confirmed");
    let widen = statement(2, 1);
    assert_eq!(widen["rewritten"], serde_json::json!([]), "{widen}");
    let cic = statement(3, 0);
    assert_eq!(cic["locks_observed"], true, "{cic}");
    let strongest = cic["locks"].as_object().unwrap().values().map(|m| squashmate::replay::strength(m.as_str().unwrap())).max().unwrap();
    assert!(strongest <= squashmate::replay::strength("ShareUpdateExclusiveLock"), "{cic}");
    let unknown = statement(4, 1);
    assert_eq!(unknown["hazards"][0]["code"], "table-rewrite", "{unknown}");
    assert_eq!(unknown["hazards"][0]["server"]["verdict"], "disproved", "{unknown}");
}

/// A chain whose downs are of every kind: an irreversible baseline (its down raises), an empty
/// down, one marked irreversible, a broken one, one that restores, and one that drops the ledger.
fn downs_of_every_kind(broken: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![
        (
            "1_baseline.sql",
            "-- migrate:up\ncreate table t (a int);\n-- migrate:down\ndo $$ begin raise exception 'baseline 1 is irreversible'; end $$;\n",
        ),
        ("2_empty.sql", "-- migrate:up\nalter table t add column b int;\n-- migrate:down\n-- nothing\n"),
        ("3_marked.sql", "-- migrate:up\ncreate table u (id int);\n-- migrate:down\n-- squashmate:irreversible: u is kept\n"),
        ("5_ok.sql", "-- migrate:up\ncreate table v (id int);\n-- migrate:down\ndrop table v;\n"),
    ];
    if broken {
        files.push(("4_broken.sql", "-- migrate:up\ncreate index t_a on t (a);\n-- migrate:down\nselect 1;\ndrop index t_missing;\n"));
        files.push((
            "6_ledger.sql",
            "-- migrate:up\ncreate table w (id int);\n-- migrate:down\ndrop table w;\ndrop table schema_migrations;\n",
        ));
    }
    common::write_migrations(dir.path(), &files);
    dir
}

#[test]
fn check_down_names_empty_irreversible_and_broken_downs_and_counts_them() {
    let dir = downs_of_every_kind(true);
    let out = common::run(dir.path(), &["replay", "--check-down", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("warning[down-irreversible]: irreversible by design: baseline 1 is irreversible"), "{text}");
    assert!(text.contains("warning[down-irreversible]: irreversible by design: marked `squashmate:irreversible`"), "{text}");
    assert!(text.contains("error[down-empty]") && text.contains("2_empty.sql"), "{text}");
    // The broken down is pointed at the statement that failed, with down wording.
    assert!(text.contains("error[down-fails]") && text.contains("4_broken.sql:5:1"), "{text}");
    assert!(
        text.contains("index \"t_missing\" does not exist (SQLSTATE 42704)") && text.contains("the file is still recorded as applied"),
        "{text}"
    );
    assert!(!text.contains("nothing of this file was recorded as applied"), "{text}");
    // A down that takes the ledger with it is named as such, not pointed at its marker.
    assert!(
        text.contains("its down blocks ran, but the ledger row could not be deleted: relation \"public.schema_migrations\" does not exist"),
        "{text}"
    );
    assert!(text.contains("takes dbmate's ledger with it"), "{text}");
    assert!(text.contains("6 of 6 down block(s) checked: 1 restore the schema, 2 irreversible by design, 1 empty, 2 fail"), "{text}");

    let out = common::run(dir.path(), &["replay", "--check-down", "--allow-empty-down", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(1), "the broken downs still fail: {text}");
    assert!(text.contains("warning[down-empty]"), "{text}");

    let sound = downs_of_every_kind(false);
    let out = common::run(sound.path(), &["replay", "--check-down", "-d", ".", "--pg", "local"]);
    assert_eq!(out.status.code(), Some(1), "an empty down is a finding by default: {}", common::all_output(&out));
    let out = common::run(sound.path(), &["replay", "--check-down", "--allow-empty-down", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(0), "irreversible downs never fail, empty ones are allowed: {text}");
    assert!(text.contains("4 of 4 down block(s) checked: 1 restore the schema, 2 irreversible by design, 1 empty"), "{text}");
}

#[test]
fn check_down_says_how_far_it_got_when_an_up_fails() {
    let dir = tempfile::tempdir().unwrap();
    common::write_migrations(
        dir.path(),
        &[
            ("1_t.sql", "-- migrate:up\ncreate table t (a int);\n-- migrate:down\ndrop table t;\n"),
            ("2_bad.sql", "-- migrate:up\ninsert into missing values (1);\n-- migrate:down\n"),
            ("3_never.sql", "-- migrate:up\ncreate table c (id int);\n-- migrate:down\ndrop table c;\n"),
        ],
    );
    let out = common::run(dir.path(), &["replay", "--check-down", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("error[up-fails]") && text.contains("2_bad.sql:2:13"), "{text}");
    assert!(text.contains("1 of 3 down block(s) checked: 1 restore the schema; stopped at file 2 of 3"), "{text}");
}

#[test]
fn trace_never_fails_a_chain_with_its_own_sample_rows() {
    let dir = tempfile::tempdir().unwrap();
    common::write_migrations(
        dir.path(),
        &[
            (
                "1_tables.sql",
                "-- migrate:up\ncreate table roles (name text primary key);\ncreate table permissions (name text primary key);\n\
                 create table role_permissions (role text references roles, permission text references permissions, primary key (role, permission));\n\
                 create table accounts (id bigserial primary key, kind text check (kind in ('a', 'b')));\n-- migrate:down\n",
            ),
            (
                "2_seed.sql",
                "-- migrate:up\ninsert into roles values ('Collaborator');\ninsert into permissions values ('read');\n-- migrate:down\n",
            ),
            // The sample row of role_permissions takes the first parent rows: the very key inserted here.
            ("3_seed_links.sql", "-- migrate:up\ninsert into role_permissions values ('Collaborator', 'read');\n-- migrate:down\n"),
            // Sample kinds repeat ('a', 'b', 'a'): a unique expression index cannot be built over them.
            ("4_unique.sql", "-- migrate:up\ncreate unique index one_per_kind on accounts (lower(kind));\n-- migrate:down\n"),
            ("5_seed_account.sql", "-- migrate:up\ninsert into accounts (kind) values ('a');\n-- migrate:down\n"),
            // Proof the chain ran as it does without sample rows: none of them is left.
            (
                "6_exact.sql",
                "-- migrate:up\ndo $$ begin if (select count(*) from role_permissions) + (select count(*) from accounts) <> 2 then \
                 raise exception 'sample rows were left'; end if; end $$;\n-- migrate:down\n",
            ),
            ("7_after.sql", "-- migrate:up\nalter table accounts add column note text;\n-- migrate:down\n"),
        ],
    );
    let out = common::run(dir.path(), &["replay", "--trace", "--format", "json", "-d", ".", "--pg", "local"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::all_output(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let without = |file: usize| doc["files"][file]["without_sample_rows"].as_str().map(str::to_string);
    assert_eq!(without(0), None);
    assert_eq!(without(1), None);
    assert!(without(2).is_some_and(|w| w.contains("3_seed_links.sql:2:1") && w.contains("(Collaborator, read)")), "{doc}");
    assert!(without(3).is_some_and(|w| w.contains("could not create unique index")), "{doc}");
    assert!(without(4).is_some_and(|w| w.contains("one_per_kind")), "{doc}");
    assert!(without(5).is_some_and(|w| w.contains("sample rows were left")), "the check sees sample rows only in the traced run: {doc}");
    assert_eq!(without(6), None, "{doc}");
    assert_eq!(doc["files"][6]["statements"][0]["locks"]["public.accounts"], "AccessExclusiveLock", "{doc}");

    let out = common::run(dir.path(), &["replay", "--trace", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("note: with squashmate's sample rows in the tables this file fails"), "{text}");
    assert!(text.contains("Traced 7 migration(s)"), "{text}");
}

#[test]
fn a_missing_extension_or_role_is_not_blamed_on_the_migration() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("db/migrations");
    common::write_migrations(
        &dir,
        &[(
            "1_places.sql",
            "-- migrate:up\ncreate table places (id int, at geometry(Point, 4326));\n-- migrate:down\ndrop table places;\n",
        )],
    );
    let out = common::run(work.path(), &["replay", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains(r#"type "geometry" comes from the extension postgis"#) && text.contains(r#"extensions = ["postgis"]"#), "{text}");
    assert!(!text.contains("fix this statement"), "{text}");
    // The fix it names works (real PostGIS on the server).
    std::fs::write(work.path().join("db/squash.toml"), "extensions = [\"postgis\"]\n").unwrap();
    let out = common::run(work.path(), &["replay", "--pg", "local"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::all_output(&out));

    let missing = tempfile::tempdir().unwrap();
    common::write_migrations(
        missing.path(),
        &[
            ("1_ext.sql", "-- migrate:up\ncreate extension if not exists squashmate_no_such_extension;\n-- migrate:down\n"),
            (
                "2_grant.sql",
                "-- migrate:up\ncreate table t (id int);\ndo $$ begin execute 'grant select on t to ' || 'reporting_' || 'ro'; end $$;\n-- migrate:down\n",
            ),
        ],
    );
    let out = common::run(missing.path(), &["replay", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("the server has no files for the extension squashmate_no_such_extension"), "{text}");
    assert!(text.contains("the migration is not at fault"), "{text}");
    std::fs::remove_file(missing.path().join("1_ext.sql")).unwrap();
    let out = common::run(missing.path(), &["replay", "-d", ".", "--pg", "local"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(r#"the role reporting_ro does not exist on this server"#) && text.contains(r#"roles = ["reporting_ro"]"#),
        "{text}"
    );
}

/// Runs squashmate with `args` in `cwd` on a pseudo-terminal (util-linux `script`), stdout and
/// stderr both the terminal: the exit code and everything the terminal got.
fn on_a_terminal(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_squashmate"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let out = std::process::Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .current_dir(cwd)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn progress_is_a_bar_on_a_terminal_a_line_a_file_in_a_log_and_nothing_beside_json() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                format!("{}_{t}.sql", i + 1),
                format!("-- migrate:up\ncreate table {t} (id int);\nselect pg_sleep(0.3);\n-- migrate:down\ndrop table {t};\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    write_migrations(&dir.path().join("db/migrations"), &files);
    let bar = regex::Regex::new(r"replay \[[=> ]{24}\] 1/3 +\d+s 2_b\.sql").unwrap();
    let any_bar = regex::Regex::new(r"\[[=> ]{24}\] \d/3").unwrap();

    // On a terminal: a bar redrawn in place, at the file being applied; the output lines above it.
    let (code, transcript) = on_a_terminal(dir.path(), &["replay", "--pg", "local"]);
    assert_eq!(code, Some(0), "{transcript}");
    assert!(bar.is_match(&transcript), "{transcript}");
    assert!(transcript.contains("Applied: 2_b.sql in ") && transcript.contains("Replayed 3 migration(s)"), "{transcript}");
    assert!(!transcript.contains("replay [2/3]"), "no plain lines on a terminal: {transcript}");

    // Beside JSON output, nothing: the document is all the terminal gets after the server's start.
    let (code, transcript) = on_a_terminal(dir.path(), &["replay", "--check-down", "--format", "json", "--pg", "local"]);
    assert_eq!(code, Some(0), "{transcript}");
    assert!(!any_bar.is_match(&transcript) && !transcript.contains("check-down ["), "{transcript}");
    let document = &transcript[transcript.find('{').unwrap()..=transcript.rfind('}').unwrap()];
    let doc: serde_json::Value = serde_json::from_str(&document.replace("\r\n", "\n")).unwrap();
    assert_eq!(doc["summary"], "3 of 3 down block(s) checked: 3 restore the schema");

    // In a log (stderr not a terminal): a plain line as each file begins, no escape codes.
    let out = common::run(dir.path(), &["replay", "--check-down", "--pg", "local"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("check-down [1/3] 1_a.sql\ncheck-down [2/3] 2_b.sql\ncheck-down [3/3] 3_c.sql\n"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr}");
    let out = common::run(dir.path(), &["replay", "--trace", "--format", "json", "--pg", "local"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("trace ["), "{stderr}");
    let out = common::run(dir.path(), &["replay", "--trace", "--pg", "local"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("trace [3/3] 3_c.sql"), "{}", all_output(&out));
}
