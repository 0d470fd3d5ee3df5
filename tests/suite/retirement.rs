//! Retirement that cannot break the application, judged by the real dbmate and the
//! application's own statements: a kept function that still writes a retired table is refused
//! (nothing written) and squashes once a migration changes it; a retired table's foreign keys
//! onto kept tables (RESTRICT, CASCADE) and its triggers leave with it and come back with the
//! rollback; a restored column comes back with every other column untouched although an
//! `updated_at` trigger watches the table; sample rows reach every table of a chain built to
//! refuse them; the surgery never stalls reads of kept tables behind a retired one; and each
//! behavioural check fails on a deliberately broken surgery.

use std::path::Path;
use std::process::Command;

use crate::common;
use crate::squash::{DATE, plan, squash, surgery_under_a_blocker};
use squashmate::ledger::LedgerTable;
use squashmate::seed::Borrowed;
use squashmate::server::EphemeralServer;
use squashmate::squash::{BackupStyle, LockPolicy, Plan, ScriptInput, UserWorkload, backups_inert, inspect, same_behaviour};

/// A workload of these statements and no borrowed rows.
fn user(statements: &[String]) -> UserWorkload<'_> {
    static NONE: std::sync::LazyLock<Borrowed> = std::sync::LazyLock::new(Borrowed::default);
    UserWorkload { statements, borrowed: &NONE }
}

/// Runs `sql` with psql against `url` (ON_ERROR_STOP); returns (success, stderr).
fn psql(url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1"]).args(args).arg(url).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A database built by the real dbmate from the migrations in `dir`.
async fn dbmate_database(server: &EphemeralServer, dir: &Path) -> String {
    let db = server.create_database(None).await.unwrap();
    let out = common::dbmate().args(["--no-dump-schema", "-d"]).arg(dir).args(["-u", &server.url(&db), "up"]).output().unwrap();
    assert!(out.status.success(), "dbmate up: {}", String::from_utf8_lossy(&out.stderr));
    db
}

/// Copies `work`'s migrations (the old chain, before the squash replaces them) to `work/old`.
fn keep_old_chain(work: &Path) -> std::path::PathBuf {
    let old = work.join("old");
    std::fs::create_dir_all(&old).unwrap();
    for entry in std::fs::read_dir(work.join("db/migrations")).unwrap().flatten() {
        std::fs::copy(entry.path(), old.join(entry.file_name())).unwrap();
    }
    old
}

fn script(work: &Path, name: &str) -> std::path::PathBuf {
    work.join(format!("db/squash/{DATE}/{name}"))
}

const AUDITED: &str = "-- migrate:up
create table agents (id bigint primary key, name text not null);
create table legacy_audit (id bigserial primary key, agent_id bigint not null, at timestamptz not null default now());
create function audit_agents() returns trigger language plpgsql as $$
begin
  insert into public.legacy_audit (agent_id) values (new.id);
  return new;
end $$;
create trigger agents_audit after update on agents for each row execute function audit_agents();
insert into agents values (1, 'a'), (2, 'b');
-- migrate:down
";

#[tokio::test]
async fn a_kept_trigger_function_writing_a_retired_table_is_refused_then_squashes_once_changed() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_agents.sql", AUDITED)]);
    plan(work.path(), "[retire]\ntables = [\"public.legacy_audit\"]\n");
    let dir = work.path().to_path_buf();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || squash(&dir, &[])).await.unwrap();
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "function public.audit_agents() (a trigger function of public.agents): names retired table public.legacy_audit: after the surgery every call fails; change or drop it in a migration before the squash"
        ),
        "{stderr}"
    );
    assert!(!work.path().join("db/squash").exists(), "a refusal writes nothing");
    assert!(!work.path().join("db/migrations/00000000000000_baseline.sql").exists());

    // The team changes the function in a migration first: now it squashes, and the real dbmate
    // shows the application's UPDATE working on production after the surgery and on a fresh baseline.
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240201000000_unhook.sql",
            "-- migrate:up\ncreate or replace function audit_agents() returns trigger language plpgsql as $$ begin return new; end $$;\n-- migrate:down\n",
        )],
    );
    let old = keep_old_chain(work.path());
    let dir = work.path().to_path_buf();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || squash(&dir, &[])).await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let server = common::local_server().await;
    let production = dbmate_database(&server, &old).await;
    let (ok, err) = psql(&server.url(&production), &["-f", script(work.path(), "surgery.sql").to_str().unwrap()]);
    assert!(ok, "{err}");
    let fresh = dbmate_database(&server, &work.path().join("db/migrations")).await;
    for db in [&production, &fresh] {
        let (ok, err) = psql(&server.url(db), &["-c", "UPDATE agents SET name = 'renamed' WHERE id = 1"]);
        assert!(ok, "the application's UPDATE failed on {db}: {err}");
    }
}

#[test]
fn every_live_link_to_a_retired_object_is_refused_naming_it() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_links.sql",
            "-- migrate:up
create table agents (id bigint primary key, legacy_flag boolean, shadow boolean generated always as (coalesce(legacy_flag, false)) stored);
create table legacy_log (id bigint primary key);
create function touch_flag() returns trigger language plpgsql as $$ begin new.legacy_flag := coalesce(new.legacy_flag, false); return new; end $$;
create trigger agents_flag before insert on agents for each row execute function touch_flag();
create function log_count() returns bigint language sql as $$ select count(*) from public.legacy_log $$;
create function purge(days int) returns void language plpgsql as $$ begin execute format('delete from public.legacy_log where id < %s', days); end $$;
alter table agents enable row level security;
create policy agents_seen on agents using (exists (select 1 from legacy_log l where l.id = agents.id));
create publication legacy_pub for table legacy_log;
create view legacy_names as select id from legacy_log;
create function legacy_name_count() returns bigint language sql as $$ select count(*) from public.legacy_names $$;
-- migrate:down
",
        )],
    );
    plan(
        work.path(),
        "[retire]\ntables = [\"public.legacy_log\"]\ncolumns = [\"public.agents.legacy_flag\"]\nviews = [\"public.legacy_names\"]\n",
    );
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    for expected in [
        "function public.touch_flag() (a trigger function of public.agents): uses retired column public.agents.legacy_flag",
        "function public.log_count(): names retired table public.legacy_log",
        "function public.legacy_name_count(): names retired table public.legacy_names",
        "function public.purge(integer): has a string (dynamic SQL) naming retired table public.legacy_log",
        "column shadow of table public.agents: depends on retired public.agents.legacy_flag",
        "policy agents_seen on table public.agents: depends on retired public.legacy_log",
        "publication legacy_pub: publishes retired table public.legacy_log",
    ] {
        assert!(stderr.contains(expected), "missing `{expected}` in:\n{stderr}");
    }
    assert!(!work.path().join("db/squash").exists(), "a refusal writes nothing");
    // A use the team has checked can be let through for function bodies.
    let (_, _, stderr) = squash(work.path(), &["--force-retire", "public.legacy_log"]);
    assert!(!stderr.contains("function public.log_count()"), "{stderr}");
    assert!(stderr.contains("policy agents_seen on table public.agents"), "catalog links are never forced: {stderr}");
}

const KEYED: &str = "-- migrate:up
create table accounts (id bigint primary key, name text not null);
create table events (id bigserial primary key, what text not null);
create table legacy_holds (id bigint primary key, account_id bigint not null references accounts on delete restrict);
create table legacy_notes (id bigint primary key, account_id bigint references accounts on delete cascade, body text);
create function note_deleted() returns trigger language plpgsql as $$ begin insert into public.events (what) values ('note ' || old.id); return old; end $$;
create trigger legacy_notes_deleted after delete on legacy_notes for each row execute function note_deleted();
insert into accounts values (1, 'a'), (2, 'b'), (3, 'c');
insert into legacy_holds values (1, 1);
insert into legacy_notes values (1, 2, 'n');
-- migrate:down
";

/// The keyed chain squashed retiring both legacy tables; returns (work dir, the old chain's dir).
async fn squashed_keyed_chain() -> (tempfile::TempDir, std::path::PathBuf) {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_keyed.sql", KEYED)]);
    plan(work.path(), "[retire]\ntables = [\"public.legacy_holds\", \"public.legacy_notes\"]\n");
    let old = keep_old_chain(work.path());
    let dir = work.path().to_path_buf();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || squash(&dir, &["--format", "json"])).await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let checks = json["report"]["checks"].as_array().unwrap();
    for id in ["backups-inert", "same-behaviour", "rollback-restores"] {
        assert!(checks.iter().any(|c| c["id"] == id && c["passed"] == true), "{id}: {stdout}");
    }
    (work, old)
}

async fn count(server: &EphemeralServer, db: &str, sql: &str) -> i64 {
    server.connect(db).await.unwrap().query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn retired_tables_keys_and_triggers_leave_with_them_and_come_back_with_the_rollback() {
    let (work, old) = squashed_keyed_chain().await;
    let server = common::local_server().await;
    let surgery = script(work.path(), "surgery.sql");
    let rollback = script(work.path(), "rollback.sql");
    let production = dbmate_database(&server, &old).await;
    let (ok, err) = psql(&server.url(&production), &["-f", surgery.to_str().unwrap()]);
    assert!(ok, "{err}");
    let fresh = dbmate_database(&server, &work.path().join("db/migrations")).await;
    // The application deletes accounts: RESTRICT from the backup no longer stops it, CASCADE no
    // longer reaches into the backup (nor fires its trigger), exactly as on a fresh baseline.
    for db in [&production, &fresh] {
        let (ok, err) = psql(&server.url(db), &["-c", "DELETE FROM accounts WHERE id IN (1, 2)"]);
        assert!(ok, "deleting kept rows failed on {db}: {err}");
        assert_eq!(count(&server, db, "SELECT count(*) FROM events").await, 0);
    }
    let backup = format!("squashmate_backup_{DATE}");
    assert_eq!(count(&server, &production, &format!("SELECT count(*) FROM {backup}.legacy_holds")).await, 1, "the backup keeps every row");
    assert_eq!(count(&server, &production, &format!("SELECT count(*) FROM {backup}.legacy_notes")).await, 1, "the backup keeps every row");
    // Its rows now reference deleted accounts: the rollback refuses, saying why, changing nothing.
    let (ok, err) = psql(&server.url(&production), &["-f", rollback.to_str().unwrap()]);
    assert!(!ok && err.contains("reference rows of \"public\".\"accounts\" deleted since the surgery"), "{err}");

    // Without deletes, the rollback puts the keys and the trigger back: the schema as before.
    let untouched = dbmate_database(&server, &old).await;
    let before = crate::squash::state(&server, &untouched).await;
    for file in [&surgery, &rollback] {
        let (ok, err) = psql(&server.url(&untouched), &["-f", file.to_str().unwrap()]);
        assert!(ok, "{err}");
    }
    assert_eq!(crate::squash::state(&server, &untouched).await, before);
    let (ok, err) = psql(&server.url(&untouched), &["-c", "DELETE FROM accounts WHERE id = 1"]);
    assert!(!ok && err.contains("legacy_holds_account_id_fkey"), "RESTRICT is back: {err}");
}

/// Replays the old chain, inspects it with the plan, and returns the script inputs' parts.
async fn inspected(server: &EphemeralServer, work: &Path, old: &Path) -> (squashmate::squash::Details, Vec<String>) {
    let files = squashmate::migration::discover(&[old.to_path_buf()]).unwrap().files;
    let replayed = squashmate::replay::replay(server, &files, |_, _| {}).await.unwrap().database;
    let plan = Plan::load(&work.join("db/squash.toml")).unwrap();
    let details = inspect(&server.connect(&replayed).await.unwrap(), &plan).await.unwrap().unwrap();
    (details, files.iter().map(|f| f.version.clone()).collect())
}

#[tokio::test]
async fn the_behavioural_checks_fail_on_a_deliberately_broken_surgery_one_link_kind_at_a_time() {
    let (work, old) = squashed_keyed_chain().await;
    let server = common::local_server().await;
    let (details, squashed) = inspected(&server, work.path(), &old).await;
    let ledger = LedgerTable::quoted_locally("public", "schema_migrations");
    let input = ScriptInput {
        details: &details,
        squashed: &squashed,
        baseline_version: "00000000000000",
        ledger: &ledger,
        backup: BackupStyle::Schema,
        date: DATE,
        locks: LockPolicy::default(),
    };
    let surgery = std::fs::read_to_string(script(work.path(), "surgery.sql")).unwrap();
    let without_all = |needles: &[&str]| {
        assert!(needles.iter().all(|n| surgery.contains(n)), "{needles:?}");
        surgery.lines().filter(|l| !needles.iter().any(|n| l.contains(n))).collect::<Vec<_>>().join("\n")
    };
    let without = |needle: &str| without_all(&[needle]);
    // Each comparison gets databases of its own: a rolled-back workload still moves sequences.
    let new_dir = work.path().join("db/migrations");
    let pair = |text: String| {
        let (server, old, new_dir) = (&server, &old, &new_dir);
        async move {
            let (production, fresh) = (dbmate_database(server, old).await, dbmate_database(server, new_dir).await);
            let client = server.connect(&production).await.unwrap();
            client.batch_execute(&text).await.unwrap();
            (client, server.connect(&fresh).await.unwrap())
        }
    };
    let cases = [
        ("the surgery as written", surgery.clone(), None, None),
        (
            "RESTRICT key kept",
            without("DROP CONSTRAINT \"legacy_holds_account_id_fkey\""),
            Some("foreign key legacy_holds_account_id_fkey"),
            Some("foreign key constraint \"legacy_holds_account_id_fkey\" on table \"legacy_holds\""),
        ),
        (
            "CASCADE key kept",
            without("DROP CONSTRAINT \"legacy_notes_account_id_fkey\""),
            Some("foreign key legacy_notes_account_id_fkey"),
            Some("backup squashmate_backup_20260101.legacy_notes"),
        ),
        (
            "CASCADE key and trigger kept",
            without_all(&["DROP CONSTRAINT \"legacy_notes_account_id_fkey\"", "DROP TRIGGER \"legacy_notes_deleted\""]),
            Some("trigger legacy_notes_deleted on backup"),
            Some("rows left in public.events"),
        ),
        ("trigger kept", without("DROP TRIGGER \"legacy_notes_deleted\""), Some("trigger legacy_notes_deleted on backup"), None),
    ];
    for (case, text, inert_finding, behaviour_finding) in cases {
        let (client, fresh) = pair(text).await;
        let links = backups_inert(&client, &input).await.unwrap();
        let behaviour = same_behaviour(&client, &fresh, None, &input, &user(&[])).await;
        match inert_finding {
            None => assert!(links.is_empty(), "{case}: {links:?}"),
            Some(finding) => assert!(links.iter().any(|l| l.contains(finding)), "{case}: {links:?}"),
        }
        match behaviour_finding {
            None if inert_finding.is_none() => assert!(behaviour.is_ok(), "{case}: {behaviour:?}"),
            None => {}
            Some(finding) => assert!(behaviour.as_ref().is_err_and(|e| e.contains(finding)), "{case}: {behaviour:?}"),
        }
    }
    // A user's workload statement that behaves differently fails the check too.
    let old_chain = server.connect(&dbmate_database(&server, &old).await).await.unwrap();
    let (client, fresh) = pair(surgery.clone()).await;
    let probe = [format!("SELECT count(*) FROM squashmate_backup_{DATE}.legacy_holds")];
    let behaviour = same_behaviour(&client, &fresh, None, &input, &user(&probe)).await;
    assert!(behaviour.is_err_and(|e| e.contains("42P01")), "the backup is not in the fresh baseline");
    // One that ran on the old chain and fails on both sides after the squash: the application
    // still uses what was retired.
    let app = ["SELECT count(*) FROM public.legacy_holds".to_string(), "SELECT count(*) FROM public.accounts".to_string()];
    let (client, fresh) = pair(surgery.clone()).await;
    let alike = same_behaviour(&client, &fresh, None, &input, &user(&app)).await;
    assert!(alike.is_ok(), "both sides fail alike: {alike:?}");
    let (client, fresh) = pair(surgery.clone()).await;
    let behaviour = same_behaviour(&client, &fresh, Some(&old_chain), &input, &user(&app)).await;
    let found = behaviour.unwrap_err();
    assert!(
        found.contains("`SELECT count(*) FROM public.legacy_holds`: ran on the old chain but fails after the squash: error 42P01"),
        "{found}"
    );
    assert!(!found.contains("public.accounts"), "{found}");
}

#[tokio::test]
async fn restored_values_come_back_without_firing_the_tables_triggers() {
    let work = common::open_tempdir();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_profiles.sql",
            "-- migrate:up
create table profiles (id bigint primary key, name text not null, legacy_bio text, updated_at timestamptz not null default now());
create function touch() returns trigger language plpgsql as $$ begin new.updated_at := clock_timestamp(); return new; end $$;
create trigger profiles_touch before update on profiles for each row execute function touch();
-- migrate:down
",
        )],
    );
    plan(work.path(), "[retire]\ncolumns = [\"public.profiles.legacy_bio\"]\n");
    let old = keep_old_chain(work.path());
    let dir = work.path().to_path_buf();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || squash(&dir, &[])).await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let server = common::local_server().await;
    let rows = "SELECT string_agg(to_jsonb(p)::text, E'\\n' ORDER BY id) FROM profiles p";
    let production_rows = "INSERT INTO profiles SELECT g, 'p' || g, 'bio ' || g, '2020-01-01 00:00:00+00' FROM generate_series(1, 300) g";
    for restore in ["rollback", "backups restore"] {
        let db = dbmate_database(&server, &old).await;
        let client = server.connect(&db).await.unwrap();
        client.batch_execute(production_rows).await.unwrap();
        let before: String = client.query_one(rows, &[]).await.unwrap().get(0);
        let (ok, err) = psql(&server.url(&db), &["-f", script(work.path(), "surgery.sql").to_str().unwrap()]);
        assert!(ok, "{err}");
        if restore == "rollback" {
            let (ok, err) = psql(&server.url(&db), &["-f", script(work.path(), "rollback.sql").to_str().unwrap()]);
            assert!(ok, "{err}");
        } else {
            let (code, out, err) = common::outcome(common::squashmate().current_dir(work.path()).args([
                "-u",
                &server.url(&db),
                "backups",
                "restore",
                "public.profiles.legacy_bio",
                "--pg",
                "local",
            ]));
            assert_eq!(code, Some(0), "{out}{err}");
        }
        let after: String = client.query_one(rows, &[]).await.unwrap().get(0);
        assert!(
            after.contains("\"legacy_bio\": \"bio 300\"") && after.contains("\"updated_at\": \"2020-01-01T00:00:00+00:00\""),
            "{after}"
        );
        assert_eq!(after, before, "{restore}: every column of every row, updated_at included");
        // The trigger is back on: an application update still touches updated_at.
        client.execute("UPDATE profiles SET name = 'x' WHERE id = 1", &[]).await.unwrap();
        let touched: bool = client.query_one("SELECT updated_at > '2020-01-02' FROM profiles WHERE id = 1", &[]).await.unwrap().get(0);
        assert!(touched, "{restore} left the trigger off");
    }
}

#[test]
fn sample_rows_reach_every_table_of_a_chain_built_to_refuse_them() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_strict.sql",
            r"-- migrate:up
create type status as enum ('new', 'done');
create domain email as text not null check (value ~ '^[a-z]+@[a-z]+\.[a-z]{2,3}$');
create domain positive as integer check (value > 0);
create table regions (code char(3) primary key check (code ~ '^[A-Z]{3}$'), name text not null);
insert into regions values ('AAA', 'first');
create table people (id bigserial primary key, mail email unique, age positive not null, state status not null,
  sku text not null unique check (sku ~ '^SKU-[0-9]{4}$'), region char(3) not null references regions,
  manager_id bigint references people);
create table members (id bigserial primary key, team_id bigint);
create table teams (id bigserial primary key, lead_id bigint references members);
alter table members add foreign key (team_id) references teams;
create table legacy (id int primary key);
-- migrate:down
",
        )],
    );
    plan(work.path(), "[retire]\ntables = [\"public.legacy\"]\n");
    let (code, stdout, stderr) = squash(work.path(), &["--format", "json"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let sample = &json["report"]["sample_rows"];
    assert_eq!(sample["refused"], serde_json::json!({}), "{sample}");
    for table in ["public.regions", "public.people", "public.members", "public.teams", "public.legacy"] {
        assert_eq!(sample["rows"][table], 3, "{table}: {sample}");
    }
    let report = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/report.md"))).unwrap();
    assert!(report.contains("15 row(s) in 5 table(s); 0 table(s) refused some."), "{report}");
}

#[tokio::test]
async fn the_surgery_never_stalls_reads_of_kept_tables_behind_a_busy_retired_one() {
    let (work, old) = squashed_keyed_chain().await;
    let server = common::local_server().await;
    let db = dbmate_database(&server, &old).await;
    // The application holds a retired table (it sorts after every kept table the surgery locks).
    let eight_seconds = std::time::Duration::from_secs(8);
    let kept = ["public.accounts", "public.events"];
    let ((ok, err, _), longest) =
        surgery_under_a_blocker(&server, &db, script(work.path(), "surgery.sql"), eight_seconds, "public.legacy_holds", &kept).await;
    assert!(ok, "{err}");
    assert!(err.contains("\"public\".\"legacy_holds\" is busy"), "{err}");
    assert!(longest < std::time::Duration::from_secs(2), "a read of a kept table waited {longest:?} (lock_timeout 2 s)");
}

#[tokio::test]
async fn the_workload_file_and_production_rows_join_the_proof() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_keyed.sql", KEYED)]);
    let old = keep_old_chain(work.path());
    // Rows borrowed from "production" (read-only): at most 50 a table, then three of our own.
    let server = common::local_server().await;
    let production = dbmate_database(&server, &old).await;
    let prod = server.connect(&production).await.unwrap();
    prod.batch_execute(
        "INSERT INTO accounts SELECT g, 'acct ' || g FROM generate_series(10, 200) g;
         INSERT INTO legacy_notes SELECT g, g + 9, 'note' FROM generate_series(1, 20) g ON CONFLICT DO NOTHING;",
    )
    .await
    .unwrap();
    let before = crate::squash::state(&server, &production).await;
    let rows_before: i64 = prod.query_one("SELECT count(*) FROM accounts", &[]).await.unwrap().get(0);
    // The application still reads a retired table: the workload file says so, and the proof fails.
    std::fs::write(
        work.path().join("db/app.sql"),
        "select count(*) from accounts;
select count(*) from legacy_holds;
",
    )
    .unwrap();
    plan(work.path(), "workload = \"db/app.sql\"\n[retire]\ntables = [\"public.legacy_holds\", \"public.legacy_notes\"]\n");
    let (dir, url) = (work.path().to_path_buf(), server.url(&production));
    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || squash(&dir, &["--format", "json", "--sample-from", &url])).await.unwrap();
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let behaviour = json["report"]["checks"].as_array().unwrap().iter().find(|c| c["id"] == "same-behaviour").unwrap().clone();
    assert_eq!(behaviour["passed"], false, "{behaviour}");
    let detail = behaviour["detail"].as_str().unwrap();
    assert!(
        detail.contains("`select count(*) from legacy_holds`: ran on the old chain but fails after the squash: error 42P01"),
        "{detail}"
    );
    assert!(!detail.contains("from accounts"), "{detail}");
    // The first 50 accounts by key, 3 of them the chain's own (skipped), and 3 sample rows; the
    // 20 notes, whose accounts came along, but for the chain's own one.
    assert_eq!(json["report"]["sample_rows"]["rows"]["public.accounts"], 50, "{stdout}");
    assert_eq!(json["report"]["sample_rows"]["rows"]["public.legacy_notes"], 22, "{stdout}");
    assert!(!work.path().join("db/migrations/00000000000000_baseline.sql").exists(), "a failed check replaces nothing");
    // Nothing was written to the database the rows were borrowed from.
    assert_eq!(crate::squash::state(&server, &production).await, before);
    let rows_after: i64 = prod.query_one("SELECT count(*) FROM accounts", &[]).await.unwrap().get(0);
    assert_eq!(rows_after, rows_before);
    // Without the stale read the same squash passes, borrowed rows included.
    std::fs::write(work.path().join("db/app.sql"), "select count(*) from accounts;\n").unwrap();
    let (dir, url) = (work.path().to_path_buf(), server.url(&production));
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || squash(&dir, &["--sample-from", &url])).await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}
