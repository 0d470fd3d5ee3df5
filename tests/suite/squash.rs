//! `squash` end to end: the example chain and generated chains retiring tables (with foreign
//! keys and views pointing at them) and columns of composite-key tables, identifiers that need
//! quoting, deterministic output, snapshots of the scripts, the gate accepting the result, and
//! the scripts' preflight refusals leaving databases unchanged.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use squashmate::catalog::{IntrospectOptions, fingerprint, introspect};
use squashmate::squash::CheckId;

pub(crate) const DATE: &str = "20260101";

pub(crate) fn squash(work: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    squash_on(work, &["--pg", "local"], extra)
}

fn squash_on(work: &Path, server: &[&str], extra: &[&str]) -> (Option<i32>, String, String) {
    let mut command = common::squashmate();
    command.current_dir(work).args(["squash", "--date", DATE]).args(server).args(extra);
    if let Ok(dbmate) = std::env::var("SQUASHMATE_DBMATE") {
        command.env("SQUASHMATE_DBMATE", dbmate);
    } else {
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/@dbmate/linux-x64/bin/dbmate");
        assert!(bundled.is_file(), "the real dbmate is needed: run scripts/test");
        command.env("SQUASHMATE_DBMATE", bundled);
    }
    common::outcome(&mut command)
}

pub(crate) fn plan(work: &Path, text: &str) {
    std::fs::write(work.join("db/squash.toml"), text).unwrap();
}

fn migrations(work: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(work.join("db/migrations")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

pub(crate) const EXAMPLE_PLAN: &str = r#"
[retire]
tables = ["public.mcp_proxy_sessions"]
columns = ["public.agents.skill_auto_granted_domains"]
[comments.tables]
"public.events" = "Append-only log of everything that happened."
[comments.columns]
"public.events.kind" = "What happened."
"#;

#[test]
fn the_example_chain_squashes_and_every_check_passes() {
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    plan(work.path(), EXAMPLE_PLAN);
    let (code, stdout, stderr) = squash(work.path(), &["--format", "json"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let checks = outcome["report"]["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "surgery-runs",
            "rollback-runs",
            "baseline-applies",
            "surgery-equals-baseline",
            "dumps-agree",
            "baseline-holds-rows",
            "rollback-restores",
            "surgery-refuses-twice",
            "rollback-refuses-twice",
            "backups-inert",
            "same-behaviour",
            "new-migration-applies",
            "dbmate-applies",
        ]
    );
    assert!(checks.iter().all(|c| c["passed"] == true && c["checked"] == true), "{stdout}");
    assert!(!stderr.contains("squash ["), "no progress beside JSON: {stderr}");
    assert!(outcome["commit_message"].as_str().unwrap().contains("[squash-baseline]"), "{stdout}");
    assert_eq!(migrations(work.path()), ["00000000000000_baseline.sql"]);
    let baseline = std::fs::read_to_string(work.path().join("db/migrations/00000000000000_baseline.sql")).unwrap();
    // The server and pg_dump it was proven on are named; on 14 and 16 (no pg_dump of their
    // own at hand in the matrix) 18's pg_dump made a baseline that loads on the older major.
    let proven = outcome["report"]["proven_on"].as_str().expect("names the server");
    if let Some(major) = common::pg_version() {
        assert!(proven.starts_with(&format!("PostgreSQL {major}.")), "{proven}");
        assert!(baseline.contains(&format!("-- postgresql: {major}.")), "the header names the major");
        if matches!(major, 14 | 16) {
            assert!(proven.contains("dumped with pg_dump 18."), "{proven}");
        }
    }
    assert!(!baseline.contains("schema_migrations"), "the baseline must not create the ledger");
    assert!(!baseline.contains("\\restrict") && !baseline.contains("Dumped from") && !baseline.contains("CREATE SCHEMA public;"));
    // Transaction-scoped; the schema of the chain's extension (pgcrypto) on it, so that an
    // extension's SQL function called while rows go in resolves its own names.
    assert!(baseline.contains("SELECT pg_catalog.set_config('search_path', 'public', true);"), "{baseline}");
    assert!(!baseline.contains("mcp_proxy_sessions") && !baseline.contains("skill_auto_granted_domains"));
    assert!(baseline.contains("COMMENT ON TABLE public.events IS 'Append-only log of everything that happened.';"));
    // The rows the chain inserted (a demo organisation and its owner) come along, with the
    // replay's `now()` values pinned so the file is reproducible, and sequences where the chain left them.
    assert!(baseline.contains("INSERT INTO public.organizations (id, name, slug, created_at) OVERRIDING SYSTEM VALUE VALUES ('00000000-0000-4000-8000-000000000001', 'Demo Org', 'demo', '2000-01-01 00:00:00+00');"), "{baseline}");
    assert!(baseline.contains("SELECT pg_catalog.setval('public.users_id_seq', 1, true);"), "{baseline}");
    let report = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/report.md"))).unwrap();
    assert!(report.contains(&format!("| {} | passed |", CheckId::SurgeryEqualsBaseline.label())), "{report}");
    // The data check compared real rows, not two empty digests.
    assert!(report.contains("3 row(s) in 3 kept table(s), carried into the baseline"), "{report}");
    // The new directory lints clean, its sum matches, and a squashed database gives `status` its story.
    assert_eq!(common::run(work.path(), &["lint"]).status.code(), Some(0));
    assert_eq!(common::run(work.path(), &["hash", "--check"]).status.code(), Some(0));
}

#[test]
fn lint_warnings_come_before_the_work_and_each_phase_is_a_line_in_a_log() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[
            ("1_a.sql", "-- migrate:up\ncreate table a (id int primary key);\n-- migrate:down\ndrop table a;\n"),
            ("2_note.sql", "-- migrate:up\n-- nothing to do here\n-- migrate:down\n"),
        ],
    );
    plan(work.path(), "[retire]\ntables = []\n");
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let warned = stderr.find("warning[").expect("the up block of only comments is warned about");
    let phases: Vec<usize> = (1..=5).map(|n| stderr.find(&format!("squash [{n}/5] ")).expect("every phase is a line")).collect();
    assert!(phases.windows(2).all(|w| w[0] < w[1]), "{stderr}");
    assert!(phases[0] < warned && warned < phases[1], "warned before the replay: {stderr}");
    assert!(stderr.contains("squash [2/5] replay the chain\n") && stderr.contains("squash [5/5] verify\n"), "{stderr}");
}

#[test]
fn the_same_chain_and_plan_give_byte_identical_files() {
    let outputs: Vec<(String, String, String)> = (0..2)
        .map(|_| {
            let work = tempfile::tempdir().unwrap();
            common::copy_example(work.path());
            plan(work.path(), EXAMPLE_PLAN);
            let (code, stdout, stderr) = squash(work.path(), &[]);
            assert_eq!(code, Some(0), "{stdout}{stderr}");
            let read = |p: &str| std::fs::read_to_string(work.path().join(p)).unwrap();
            (
                read("db/migrations/00000000000000_baseline.sql"),
                read(&format!("db/squash/{DATE}/surgery.sql")),
                read(&format!("db/squash/{DATE}/rollback.sql")),
            )
        })
        .collect();
    assert!(outputs[0] == outputs[1], "two squashes of the same chain differ");
}

/// A generated chain plus migrations that give the plan something demanding to retire.
fn generated_with_retirements(work: &Path, count: usize) {
    let dir = work.join("db/migrations");
    squashmate::chaingen::write_chain(&dir, count, 11).unwrap();
    common::write_migrations(
        &dir,
        &[(
            "29990101000000_retirement_targets.sql",
            "-- migrate:up
create table legacy_parent (id bigint primary key, label text);
create table keeps_pointing (id bigint primary key, parent_id bigint references legacy_parent (id) on delete set null);
create view legacy_parent_labels as select id, label from legacy_parent;
create table tenant_items (tenant_id bigint not null, item_no int not null, legacy_note text default 'n/a', kept text,
    primary key (tenant_id, item_no));
create index tenant_items_legacy_note_idx on tenant_items (legacy_note);
alter table tenant_items add constraint tenant_items_legacy_note_check check (char_length(legacy_note) < 200);
create view tenant_notes as select tenant_id, item_no, legacy_note from tenant_items;
insert into legacy_parent values (1, 'one'), (2, 'two');
insert into keeps_pointing values (10, 1), (11, 2);
insert into tenant_items values (1, 1, 'first', 'a'), (1, 2, 'second', 'b'), (2, 1, null, 'c');
-- migrate:down
",
        )],
    );
    plan(
        work,
        r#"
[retire]
tables = ["public.legacy_parent"]
columns = ["public.tenant_items.legacy_note"]
views = ["public.legacy_parent_labels", "public.tenant_notes"]
"#,
    );
}

#[test]
fn generated_chains_of_100_and_1000_retire_tables_with_dependents_and_composite_key_columns() {
    for count in [100, 1000] {
        let work = tempfile::tempdir().unwrap();
        generated_with_retirements(work.path(), count);
        let (code, stdout, stderr) = squash(work.path(), &[]);
        assert_eq!(code, Some(0), "{count} migrations:\n{stdout}{stderr}");
        assert!(!stdout.contains("[FAILED]"), "{stdout}");
        let surgery = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/surgery.sql"))).unwrap();
        assert!(
            surgery.contains("ALTER TABLE \"public\".\"keeps_pointing\" DROP CONSTRAINT \"keeps_pointing_parent_id_fkey\";"),
            "{surgery}"
        );
        assert!(surgery.contains("SELECT \"tenant_id\", \"item_no\", \"legacy_note\" FROM \"public\".\"tenant_items\""), "{surgery}");
        let rollback = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/rollback.sql"))).unwrap();
        assert!(rollback.contains("t.\"tenant_id\" = b.\"tenant_id\" AND t.\"item_no\" = b.\"item_no\""), "{rollback}");
        assert!(rollback.contains("CREATE INDEX tenant_items_legacy_note_idx"), "{rollback}");
    }
}

#[test]
fn identifiers_that_need_quoting_everywhere() {
    let work = tempfile::tempdir().unwrap();
    let long_table = format!("T{}", "x".repeat(62));
    let sql = format!(
        "-- migrate:up
create table \"Audit Log\" (\"ID\" bigint primary key, \"Weird \"\"Col\"\"\" text, \"select\" int);
create table \"select\" (\"from\" int primary key, \"Order\" text);
create table \"{long_table}\" (id int primary key, payload text);
insert into \"Audit Log\" values (1, 'it''s', 1), (2, 'a \"b\"', 2);
insert into \"{long_table}\" values (1, 'x');
-- migrate:down
"
    );
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_quoted.sql", &sql)]);
    plan(
        work.path(),
        &format!(
            r#"backup = "suffix"
[retire]
tables = ['public."{long_table}"']
columns = ['public."Audit Log"."Weird ""Col"""']
[comments.tables]
'public."select"' = "It's a \"reserved\" name; DROP TABLE nothing; --"
[comments.columns]
'public."select"."Order"' = "Don't $$ break $squashmate$ out"
"#
        ),
    );
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let surgery = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/surgery.sql"))).unwrap();
    // The suffixed backup name fits 63 bytes.
    let renamed = surgery.lines().find(|l| l.contains("RENAME TO")).expect("a rename");
    let new_name = renamed.rsplit("RENAME TO ").next().unwrap().trim_end_matches(';').trim_matches('"');
    assert!(new_name.len() <= 63 && new_name.ends_with(&format!("_squashed_{DATE}")), "{renamed}");
    assert!(surgery.contains("'It''s a \"reserved\" name; DROP TABLE nothing; --'"), "{surgery}");
}

#[test]
fn plans_that_cannot_be_carried_out_are_refused_with_every_reason() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_a.sql",
            "-- migrate:up\ncreate table keyless (a int, note text);\ncreate table parent (id int primary key);\ncreate view parent_ids as select id from parent;\ncreate table numbered (id serial primary key);\ncreate table borrower (id int primary key default nextval('numbered_id_seq'));\n-- migrate:down\n",
        )],
    );
    plan(
        work.path(),
        "[retire]\ntables = [\"public.parent\", \"public.missing\", \"public.numbered\"]\ncolumns = [\"public.keyless.note\"]\n",
    );
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    // Each refusal names the object, the reason and the fix.
    assert!(
        stderr.contains("retire.tables: \"public\".\"missing\": does not exist after replaying the chain; fix the name in the plan"),
        "{stderr}"
    );
    assert!(stderr.contains("\"public\".\"keyless\" has no primary key and no unique not-null key"), "{stderr}");
    assert!(stderr.contains("view \"public\".\"parent_ids\": depends on a retired table or column; add it to retire.views"), "{stderr}");
    assert!(
        stderr.contains(
            "\"public\".\"numbered\": owns sequence public.numbered_id_seq, which the default of \"public\".\"borrower\".\"id\" still uses"
        ),
        "{stderr}"
    );
    assert_eq!(migrations(work.path()), ["20240101000000_a.sql"], "nothing may be written");
    assert!(!work.path().join("db/squash").join(DATE).exists());
}

#[test]
fn sample_rows_fill_tables_with_composite_keys_checks_and_rows_the_chain_inserted() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_tricky.sql",
            "-- migrate:up
create type mood as enum ('calm', 'busy', 'away', 'gone');
create table tenants (id uuid primary key, code varchar(2) not null unique);
insert into tenants values ('00000000-0000-4000-8000-000000000001', '1'), ('00000000-0000-4000-8000-000000000002', '2');
create table projects (tenant_id uuid not null references tenants, id bigint not null, state text not null check (state in ('open', 'closed')),
  priority smallint not null check (priority between 1 and 3), primary key (tenant_id, id));
insert into projects values ('00000000-0000-4000-8000-000000000001', 1, 'open', 1), ('00000000-0000-4000-8000-000000000001', 2, 'open', 2);
create table tasks (id bigserial primary key, tenant_id uuid not null, project_id bigint not null, mood mood not null unique,
  address inet, every interval, price numeric(8,2) check (price > 0), tags text[],
  foreign key (tenant_id, project_id) references projects (tenant_id, id));
insert into tasks (tenant_id, project_id, mood) values ('00000000-0000-4000-8000-000000000001', 1, 'calm');
create table notes (id int primary key, body text check (body ~ '^[A-Z]'));
-- migrate:down
",
        )],
    );
    plan(work.path(), "[retire]\ncolumns = [\"public.tasks.price\"]\n");
    let (code, stdout, stderr) = squash(work.path(), &["--format", "json"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    // The JSON carries the whole report.
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(json["passed"], true);
    let rows = &json["report"]["sample_rows"]["rows"];
    assert_eq!(
        (rows["public.tenants"].as_u64(), rows["public.projects"].as_u64(), rows["public.tasks"].as_u64()),
        (Some(3), Some(3), Some(3)),
        "{json}"
    );
    assert_eq!(json["report"]["retired"]["columns"][0]["name"], "public.tasks.price");
    assert_eq!(json["report"]["retired"]["columns"][0]["key"], serde_json::json!(["id"]));
    let checks = json["report"]["checks"].as_array().unwrap();
    assert!(checks.len() >= 9 && checks.iter().all(|c| c["passed"] == true && c["took_ms"].is_u64()), "{json}");
    assert!(json["commit_message"].as_str().unwrap().contains("[squash-baseline]"));
    let report = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/report.md"))).unwrap();
    // Every table got its three rows although the chain's own rows hold the obvious key values,
    // the only valid parents are reached through a composite key, CHECKs list or bound values,
    // and a CHECK that cannot be read is met with NULL.
    assert!(report.contains("12 row(s) in 4 table(s); 0 table(s) refused some."), "{report}");
    // The rollback re-adds the column last: the only difference allowed, and it is reported.
    assert!(report.contains("every retired value) — passed; allowed differences (cosmetic)"), "{report}");
    assert!(report.contains("table public.tasks / column price / position [cosmetic]: 7 → 8"), "{report}");
}

#[test]
fn the_rows_the_chain_leaves_come_along_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_data.sql",
            "-- migrate:up
create table t (id int generated always as identity primary key, a int, twice int generated always as (a * 2) stored,
  note text, tags text[], doc jsonb, at timestamptz default now());
insert into t (a, note, tags, doc) values (1, E'multi\\nline ''quoted''\\n-- Dumped from a string\\nSET y = 1;', '{\"a b\",c}', '{\"k\": \"v\\\\n\"}');
create table parent (id int primary key);
create table child (id int primary key, parent_id int references parent);
insert into parent values (1), (2);
insert into child values (10, 1);
create table tree (id int primary key, up int references tree);
insert into tree values (1, null), (2, 1);
create table holidays (day date primary key, added date default current_date);
insert into holidays (day) values (current_date);
-- migrate:down
",
        )],
    );
    plan(work.path(), "[retire]\n");
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("[ok]     the fresh baseline holds the rows the old chain leaves (every kept table and sequence)"), "{stdout}");
    assert!(stdout.contains("[ok]     the real dbmate applies the new directory on a fresh database"), "{stdout}");
    assert!(stdout.contains("Squash 1 migration (20240101000000..20240101000000)"), "{stdout}");
    let baseline = std::fs::read_to_string(work.path().join("db/migrations/00000000000000_baseline.sql")).unwrap();
    // Text that looks like dump noise inside a string is data, kept as it was.
    assert!(baseline.contains("'multi\nline ''quoted''\n-- Dumped from a string\nSET y = 1;'"), "{baseline}");
    // Rows are read with COPY (no planner, so no index expression is inlined) and written as
    // inserts naming their columns: the generated column is computed again.
    assert!(
        baseline.contains("INSERT INTO public.t (id, a, note, tags, doc, at) OVERRIDING SYSTEM VALUE VALUES ('1', '1', 'multi"),
        "{baseline}"
    );
    assert!(baseline.contains("'2000-01-01 00:00:00+00'"), "{baseline}");
    assert!(baseline.contains("SELECT pg_catalog.setval('public.t_id_seq', 1, true);"), "{baseline}");
    // A date is pinned only in a column whose default reads the clock: today's date may be data.
    let holiday = baseline
        .split("INSERT INTO public.holidays (day, added) OVERRIDING SYSTEM VALUE VALUES (")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_default();
    assert!(holiday.ends_with(", '2000-01-01');") && !holiday.starts_with("'2000-01-01'"), "{holiday}");
}

#[tokio::test]
async fn squash_runs_on_an_existing_server_and_leaves_no_database_behind() {
    let host = squashmate::server::EphemeralServer::start(&squashmate::server::ServerOptions {
        provider: squashmate::server::Provider::Local,
        ..Default::default()
    })
    .await
    .unwrap();
    let url = host.url("postgres");
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    plan(work.path(), EXAMPLE_PLAN);
    let (code, stdout, stderr) = squash_on(work.path(), &["--pg", "url", "--pg-url", &url], &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("[ok]     {}", CheckId::SurgeryEqualsBaseline.label())), "{stdout}");
    assert_eq!(migrations(work.path()), ["00000000000000_baseline.sql"]);
    let client = host.connect("postgres").await.unwrap();
    let left: Vec<String> = client
        .query("select datname::text from pg_database where not datistemplate and datname <> 'postgres'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(left.is_empty(), "scratch databases left on the server: {left:?}");
}

#[tokio::test]
async fn squash_runs_on_the_production_major_it_is_given_a_url_of() {
    let production = common::local_server().await;
    let major = production.major();
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    plan(work.path(), EXAMPLE_PLAN);
    let url = production.url("postgres");
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let dir = work.path().to_path_buf();
        move || squash_on(&dir, &["--pg", "local", "--url", &url], &[])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    if common::pg_version().is_none() {
        assert!(stderr.contains(&format!("Squashing on PostgreSQL {major}, the production's major")), "{stderr}");
    }
    assert!(stdout.contains(&format!("Proven on PostgreSQL {major}.")), "{stdout}");
}

#[tokio::test]
async fn squash_runs_as_an_ordinary_role_on_an_existing_server() {
    let host = common::local_server().await;
    host.connect("postgres").await.unwrap().batch_execute("create role squasher login createdb").await.unwrap();
    let url = host.url("postgres").replacen("postgres@", "squasher@", 1);
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    plan(work.path(), EXAMPLE_PLAN);
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let dir = work.path().to_path_buf();
        move || squash_on(&dir, &["--pg", "url", "--pg-url", &url], &[])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    // Not a superuser: triggers cannot be turned off, so the replay's clock values stay as they were.
    let report = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/report.md"))).unwrap();
    assert!(report.contains("nothing pinned: triggers cannot be turned off for the update"), "{report}");
}

/// State of a database that a refused script must not change.
pub(crate) async fn state(server: &squashmate::server::EphemeralServer, db: &str) -> (String, Vec<String>) {
    let client = server.connect(db).await.unwrap();
    let print = fingerprint(&introspect(&client, &IntrospectOptions::default()).await.unwrap()).schema;
    let ledger = client.query("select version from schema_migrations order by 1", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    (print, ledger)
}

/// Squashes the chain in `work` by the example plan, off the async runtime; every check passes.
async fn squash_example_off_the_runtime(work: &Path) {
    plan(work, EXAMPLE_PLAN);
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let dir = work.to_path_buf();
        move || squash(&dir, &[])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

#[tokio::test]
async fn the_scripts_refuse_the_wrong_database_and_change_nothing() {
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    let old_chain: PathBuf = work.path().join("old");
    std::fs::create_dir_all(&old_chain).unwrap();
    for name in migrations(work.path()) {
        std::fs::copy(work.path().join("db/migrations").join(&name), old_chain.join(&name)).unwrap();
    }
    squash_example_off_the_runtime(work.path()).await;
    let surgery = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/surgery.sql"))).unwrap();
    let rollback = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/rollback.sql"))).unwrap();

    let server = common::local_server().await;
    let found = squashmate::migration::discover(&[old_chain]).unwrap();
    let full = squashmate::replay::replay(&server, &found.files, |_, _| {}).await.unwrap().database;
    let psql = |db: &str, script: &str| {
        Command::new("psql").args(["-v", "ON_ERROR_STOP=1", "-q", "-X"]).arg(server.url(db)).arg("-c").arg(script).output().unwrap()
    };
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        (
            "missing a squashed version",
            "delete from schema_migrations where version = '20240301090000'",
            "surgery",
            "the ledger lacks squashed version(s) 20240301090000",
        ),
        (
            "already squashed",
            "insert into schema_migrations values ('00000000000000')",
            "surgery",
            "already holds baseline version 00000000000000",
        ),
        (
            "retired column of another type",
            "alter table agents alter column skill_auto_granted_domains type text",
            "surgery",
            "is missing or not of type text[]",
        ),
        (
            "retired table of another shape",
            "alter table mcp_proxy_sessions add column extra int",
            "surgery",
            "no longer has the columns it had when the squash was made",
        ),
        ("never squashed", "select 1", "rollback", "does not hold baseline version 00000000000000"),
    ];
    for (name, setup, which, message) in cases {
        let db = server.create_database(Some(&full)).await.expect("clone a database");
        let client = server.connect(&db).await.unwrap();
        client.batch_execute(setup).await.unwrap();
        drop(client);
        let before = state(&server, &db).await;
        let out = psql(&db, if which == "surgery" { &surgery } else { &rollback });
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: the {which} ran");
        assert!(text.contains(message), "{name}: {text}");
        assert_eq!(state(&server, &db).await, before, "{name}: the {which} changed the database");
    }
}

#[test]
fn a_custom_ledger_table_is_used_everywhere() {
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    plan(work.path(), EXAMPLE_PLAN);
    let (code, stdout, stderr) = squash(work.path(), &["--migrations-table", "app_ledger"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("[ok]     the real dbmate applies the new directory on a fresh database"), "{stdout}");
    let surgery = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/surgery.sql"))).unwrap();
    let baseline = std::fs::read_to_string(work.path().join("db/migrations/00000000000000_baseline.sql")).unwrap();
    assert!(surgery.contains("public.app_ledger") && !surgery.contains("schema_migrations"), "{surgery}");
    assert!(!baseline.contains("app_ledger") && !baseline.contains("schema_migrations"), "the baseline must not create a ledger");
}

#[test]
fn a_failed_check_replaces_nothing_and_the_report_says_which() {
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    plan(work.path(), EXAMPLE_PLAN);
    let before = migrations(work.path());
    // A `dbmate` that cannot apply anything (it exits 1): that check fails, the others pass.
    let (code, stdout, stderr) = squash(work.path(), &["--dbmate", "/bin/false"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("[FAILED] the real dbmate applies the new directory on a fresh database"), "{stdout}");
    assert!(stdout.contains(&format!("[ok]     {}", CheckId::SurgeryEqualsBaseline.label())), "{stdout}");
    assert!(stdout.contains("A check failed: no migration file was replaced."), "{stdout}");
    assert_eq!(migrations(work.path()), before, "no migration file may be removed or added");
    assert!(!work.path().join("db/migrations.sum").exists());
    let report = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/report.md"))).unwrap();
    assert!(report.contains("**Not squashed** (a check failed; no migration file was changed)"), "{report}");
    assert!(report.contains("| the real dbmate applies the new directory on a fresh database | **FAILED** |"), "{report}");
    assert!(report.contains("### the real dbmate applies the new directory on a fresh database — failed"), "{report}");
}

/// Squashes a one-table chain retiring `columns` of `public.t`; returns (surgery, rollback).
fn squash_table_t(work: &Path, columns: &str) -> (String, String) {
    common::write_migrations(
        &work.join("db/migrations"),
        &[(
            "20240101000000_t.sql",
            "-- migrate:up\ncreate table t (org int, id int, keep text, flag text not null default 'on', secret text not null, primary key (org, id));\ninsert into t values (1, 1, 'old', 'off', 's1');\n-- migrate:down\n",
        )],
    );
    plan(work, &format!("[retire]\ncolumns = [{columns}]\n"));
    let (code, stdout, stderr) = squash(work, &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let read = |name: &str| std::fs::read_to_string(work.join(format!("db/squash/{DATE}/{name}"))).unwrap();
    (read("surgery.sql"), read("rollback.sql"))
}

#[tokio::test]
async fn the_rollback_after_rows_were_added_restores_defaults_or_refuses_clearly() {
    let with_default = tempfile::tempdir().unwrap();
    let both = tempfile::tempdir().unwrap();
    let (scripts_default, scripts_both) = tokio::task::spawn_blocking({
        let (a, b) = (with_default.path().to_path_buf(), both.path().to_path_buf());
        move || (squash_table_t(&a, "\"public.t.flag\""), squash_table_t(&b, "\"public.t.flag\", \"public.t.secret\""))
    })
    .await
    .unwrap();
    let server = common::local_server().await;
    let psql = |db: &str, script: &str| {
        Command::new("psql").args(["-v", "ON_ERROR_STOP=1", "-q", "-X"]).arg(server.url(db)).arg("-c").arg(script).output().unwrap()
    };
    let chain = "create table t (org int, id int, keep text, flag text not null default 'on', secret text not null, primary key (org, id));
        insert into t values (1, 1, 'old', 'off', 's1');
        create table schema_migrations (version varchar primary key); insert into schema_migrations values ('20240101000000');";

    // A retired column with a default: a row the new code added gets the default, old rows their saved value.
    let db = server.create_database(None).await.unwrap();
    server.connect(&db).await.unwrap().batch_execute(chain).await.unwrap();
    assert!(psql(&db, &scripts_default.0).status.success());
    server.connect(&db).await.unwrap().batch_execute("insert into t (org, id, keep, secret) values (1, 2, 'new', 's2')").await.unwrap();
    let out = psql(&db, &scripts_default.1);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<(i32, String)> = server
        .connect(&db)
        .await
        .unwrap()
        .query("select id, flag from t order by id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, [(1, "off".to_string()), (2, "on".to_string())]);

    // A NOT NULL column without a default cannot be given a value for the new row: the rollback
    // refuses in its preflight, saying why, and changes nothing.
    let db = server.create_database(None).await.unwrap();
    server.connect(&db).await.unwrap().batch_execute(chain).await.unwrap();
    assert!(psql(&db, &scripts_both.0).status.success());
    server.connect(&db).await.unwrap().batch_execute("insert into t (org, id, keep) values (1, 2, 'new')").await.unwrap();
    let before = state(&server, &db).await;
    let out = psql(&db, &scripts_both.1);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the rollback ran");
    assert!(
        text.contains("has rows added after the surgery with no saved value for \"secret\", which is NOT NULL without a default"),
        "{text}"
    );
    assert_eq!(state(&server, &db).await, before, "the refused rollback changed the database");
}

#[test]
fn scripts_for_a_small_chain_match_their_snapshots() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[
            (
                "20240101000000_accounts.sql",
                "-- migrate:up\ncreate table accounts (org int not null, id int not null, legacy text, primary key (org, id));\n-- migrate:down\n",
            ),
            (
                "20240102000000_sessions.sql",
                "-- migrate:up\ncreate table sessions (id int primary key, account_org int, account_id int, foreign key (account_org, account_id) references accounts);\ncreate table audit (id int primary key, session_id int references sessions);\n-- migrate:down\n",
            ),
        ],
    );
    plan(
        work.path(),
        "[retire]\ntables = [\"public.sessions\"]\ncolumns = [\"public.accounts.legacy\"]\n[comments.tables]\n\"public.accounts\" = \"Who signs in.\"\n",
    );
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let read = |p: &str| std::fs::read_to_string(work.path().join(p)).unwrap();
    insta::assert_snapshot!("small_surgery", read(&format!("db/squash/{DATE}/surgery.sql")));
    insta::assert_snapshot!("small_rollback", read(&format!("db/squash/{DATE}/rollback.sql")));
    let baseline = read("db/migrations/00000000000000_baseline.sql");
    let stable: String = baseline.lines().filter(|l| !l.starts_with("-- postgresql:")).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!("small_baseline", stable);
}

#[test]
fn the_audit_finds_every_spelling_and_blocks_the_squash_until_forced() {
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    let src = work.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("agents.ts"),
        "// skill_auto_granted_domains is going away\nexport const load = (db) => db.query(\"SELECT skill_auto_granted_domains FROM agents\");\nconst x = agent.skillAutoGrantedDomains;\n",
    )
    .unwrap();
    plan(work.path(), &format!("src = [\"src\"]\n{EXAMPLE_PLAN}"));
    let out = common::run(work.path(), &["audit"]);
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("warning[retired-comment]") && text.contains("src/agents.ts:1:4"), "{text}");
    assert!(text.contains("error[retired-string]") && text.contains("src/agents.ts:2:"), "{text}");
    assert!(text.contains("error[retired-code]") && text.contains("src/agents.ts:3:17"), "{text}");
    assert!(text.contains("3 reference(s), 2 in code or strings"), "{text}");

    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("public.agents.skill_auto_granted_domains: is still referenced in a string at src/agents.ts:2:"), "{stderr}");
    assert!(stderr.contains("public.agents.skill_auto_granted_domains: is still referenced in code at src/agents.ts:3:17"), "{stderr}");
    assert_eq!(migrations(work.path()).len(), 30, "nothing may be written");

    let (code, stdout, stderr) = squash(work.path(), &["--force-retire", "public.agents.skill_auto_granted_domains"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let report = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/report.md"))).unwrap();
    assert!(report.contains("## Audit of src") && report.contains("src/agents.ts:3:17 (Code)"), "{report}");
}

#[test]
fn extensions_and_roles_the_chain_assumes_are_prepared_for_the_replay() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_search.sql",
            "-- migrate:up\ncreate table docs (id int primary key, body text);\ncreate index docs_body_trgm on docs using gin (body gin_trgm_ops);\ngrant select on docs to reporting;\n-- migrate:down\n",
        )],
    );
    plan(work.path(), "[retire]\ntables = []\n");
    let (code, _, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(2), "without the extension and role the replay must fail");
    assert!(stderr.contains("20240101000000_search.sql"), "{stderr}");
    plan(work.path(), "extensions = [\"pg_trgm\"]\nroles = [\"reporting\"]\n");
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let baseline = std::fs::read_to_string(work.path().join("db/migrations/00000000000000_baseline.sql")).unwrap();
    // Production has the extension (the chain never made it): the baseline, proven after the
    // same setup, does not make it either; the grant the chain made is kept.
    assert!(!baseline.contains("CREATE EXTENSION"), "{baseline}");
    assert!(baseline.contains("GRANT SELECT ON TABLE public.docs TO reporting;"), "{baseline}");
}

/// Runs `script` with `psql -f`, as reviewed SQL is run; returns (success, stderr, wall time).
async fn psql_file(url: String, script: PathBuf) -> (bool, String, std::time::Duration) {
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let out = Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"]).arg(&script).arg(&url).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned(), started.elapsed())
    })
    .await
    .unwrap()
}

/// An application transaction reads table `held` for `hold`, while the surgery runs with
/// `psql -f` and another session keeps reading each of `read`. Returns the surgery's outcome
/// and the longest any of those reads waited.
pub(crate) async fn surgery_under_a_blocker(
    server: &squashmate::server::EphemeralServer,
    db: &str,
    surgery: PathBuf,
    hold: std::time::Duration,
    held: &str,
    read: &[&str],
) -> ((bool, String, std::time::Duration), std::time::Duration) {
    let blocker = server.connect(db).await.unwrap();
    blocker.batch_execute(&format!("BEGIN; SELECT count(*) FROM {held}")).await.unwrap();
    let reader = server.connect(db).await.unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reads = {
        let done = done.clone();
        async move {
            let mut longest = std::time::Duration::ZERO;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                for table in read {
                    let started = std::time::Instant::now();
                    reader.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.unwrap();
                    longest = longest.max(started.elapsed());
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            longest
        }
    };
    let release = async {
        tokio::time::sleep(hold).await;
        blocker.batch_execute("COMMIT").await.unwrap();
    };
    let run = async {
        let outcome = psql_file(server.url(db), surgery).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        outcome
    };
    let (outcome, longest, ()) = tokio::join!(run, reads, release);
    (outcome, longest)
}

#[tokio::test]
async fn the_surgery_never_stalls_live_reads_behind_its_locks() {
    // Two squashes of the example: the default lock policy, and a budget a blocker outlasts.
    let default_policy = tempfile::tempdir().unwrap();
    let short_budget = tempfile::tempdir().unwrap();
    for (work, extra) in [(&default_policy, ""), (&short_budget, "lock_timeout = \"300ms\"\nlock_retries = 2\n")] {
        common::copy_example(work.path());
        plan(work.path(), &format!("{extra}{EXAMPLE_PLAN}"));
    }
    let squashes: Vec<_> = [default_policy.path().to_path_buf(), short_budget.path().to_path_buf()]
        .into_iter()
        .map(|dir| tokio::task::spawn_blocking(move || squash(&dir, &[])))
        .collect();
    let server = common::local_server().await;
    let example = squashmate::migration::discover(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("db/migrations")]).unwrap();
    let full = squashmate::replay::replay(&server, &example.files, |_, _| {}).await.unwrap().database;
    for squash in squashes {
        let (code, stdout, stderr) = squash.await.unwrap();
        assert_eq!(code, Some(0), "{stdout}{stderr}");
    }
    let surgery = |work: &tempfile::TempDir| work.path().join(format!("db/squash/{DATE}/surgery.sql"));
    let text = std::fs::read_to_string(surgery(&default_policy)).unwrap();
    assert!(text.contains("'lock_timeout', '2000ms'") && text.contains("SET LOCAL statement_timeout"), "{text}");
    let (waits, gives_up) = (server.create_database(Some(&full)).await.unwrap(), server.create_database(Some(&full)).await.unwrap());
    let before = state(&server, &gives_up).await;

    let hold = std::time::Duration::from_secs(8);
    let (((ok, stderr, took), longest_read), ((failed_ok, failed_stderr, _), _)) = tokio::join!(
        surgery_under_a_blocker(&server, &waits, surgery(&default_policy), hold, "public.agents", &["public.agents"]),
        surgery_under_a_blocker(
            &server,
            &gives_up,
            surgery(&short_budget),
            std::time::Duration::from_secs(4),
            "public.agents",
            &["public.agents"]
        ),
    );
    // With the default policy the surgery waits the blocker out, a bounded wait at a time.
    assert!(ok, "{stderr}");
    assert!(took >= hold - std::time::Duration::from_secs(1), "the surgery finished before the blocker let go: {took:?}");
    assert!(longest_read < std::time::Duration::from_secs(3), "a read waited {longest_read:?} behind the surgery (lock_timeout 2 s)");
    assert!(stderr.contains("\"public\".\"agents\" is busy (attempt 1 of 11); every lock given back, retrying"), "{stderr}");
    assert_eq!(state(&server, &waits).await.1, ["00000000000000"]);
    // A blocker that outlasts the budget: the surgery fails cleanly and changes nothing.
    assert!(!failed_ok);
    assert!(
        failed_stderr.contains(
            "could not take its locks in 3 attempts (waiting up to 300 ms for a busy table): another session holds \"public\".\"agents\""
        ),
        "{failed_stderr}"
    );
    assert_eq!(state(&server, &gives_up).await, before, "the failed surgery changed the database");
}

#[tokio::test]
async fn squash_through_a_version_keeps_the_later_files_and_proves_them() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("db/migrations");
    squashmate::chaingen::write_chain(&dir, 200, 23).unwrap();
    let old_chain = squashmate::migration::discover(std::slice::from_ref(&dir)).unwrap().files;
    let through = old_chain[149].version.clone();
    plan(work.path(), "[retire]\ntables = []\n");
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let (dir, through) = (work.path().to_path_buf(), through.clone());
        move || squash(&dir, &["--through", &through])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("[ok]     {}", CheckId::KeptFilesAgree.label())), "{stdout}");
    assert!(stdout.contains("[ok]     the real dbmate applies the new directory on a fresh database"), "{stdout}");
    assert!(stdout.contains("keeping the 50 later ones"), "{stdout}");
    let names = migrations(work.path());
    assert_eq!(names.len(), 51);
    assert_eq!(names[0], "00000000000000_baseline.sql");
    assert_eq!(names[1..], old_chain[150..].iter().map(|f| f.filename.clone()).collect::<Vec<_>>()[..]);
    let out = common::run(work.path(), &["hash", "--check"]);
    assert!(out.status.success(), "migrations.sum lists the baseline and the kept files: {}", common::all_output(&out));

    // Production at the end of the chain (200) and one at the squash point (150).
    let server = common::local_server().await;
    let surgery = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/surgery.sql"))).unwrap();
    let new_directory = squashmate::ledger::Migrator::from_dirs(std::slice::from_ref(&dir)).unwrap();
    let kept: Vec<String> = old_chain[150..].iter().map(|f| f.version.clone()).collect();
    for (at, expected_after) in [(200, kept.clone()), (150, Vec::new())] {
        let db = squashmate::replay::replay(&server, &old_chain[..at], |_, _| {}).await.unwrap().database;
        let client = server.connect(&db).await.unwrap();
        client.batch_execute(&surgery).await.unwrap();
        let ledger: Vec<String> =
            client.query("select version from schema_migrations order by 1", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
        let mut expected = vec!["00000000000000".to_string()];
        expected.extend(expected_after);
        assert_eq!(ledger, expected, "a database at {at}");
        // `up` with the new directory brings either one to the end.
        new_directory.up(&client, &client, &mut |_| {}).await.unwrap();
        assert_eq!(new_directory.status(&client).await.unwrap().pending().count(), 0);
    }

    // A version that is not in the chain, or a baseline that would sort after a kept file, is refused.
    let (code, _, stderr) = squash(work.path(), &["--through", "123"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--through 123: no migration has this version"), "{stderr}");
    plan(work.path(), "baseline_version = \"29990101000000\"\n[retire]\ntables = []\n");
    let (code, _, stderr) = squash(work.path(), &["--through", &kept[0]]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("does not sort before") && stderr.contains(&kept[1]), "{stderr}");
    assert_eq!(migrations(work.path()).len(), 51, "a refused squash changes no file");
}

#[tokio::test]
async fn run_script_takes_a_fleet_through_the_surgery_and_back_and_can_be_repeated() {
    let work = common::open_tempdir();
    common::copy_example(work.path());
    let example = squashmate::migration::discover(&[work.path().join("db/migrations")]).unwrap().files;
    squash_example_off_the_runtime(work.path()).await;
    // Two databases at the end of the old chain, one that lags behind it.
    let server = common::local_server().await;
    let mut urls = Vec::new();
    for files in [&example[..], &example[..], &example[..20]] {
        let db = squashmate::replay::replay(&server, files, |_, _| {}).await.unwrap().database;
        urls.push(server.url(&db));
    }
    std::fs::write(work.path().join("targets"), urls.join("\n")).unwrap();
    let surgery = format!("db/squash/{DATE}/surgery.sql");
    let rollback = format!("db/squash/{DATE}/rollback.sql");
    let run =
        |script: &str| common::outcome(common::squashmate().current_dir(work.path()).args(["--targets", "targets", "run-script", script]));

    let (code, stdout, stderr) = run(&surgery);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(stdout.matches("ok: done").count(), 2, "{stdout}");
    assert!(stdout.contains("FAILED: squashmate surgery: the ledger lacks squashed version(s)"), "{stdout}");
    assert!(stdout.contains("00000000000000  "), "the position after the surgery is the baseline: {stdout}");
    let record = std::fs::read_to_string(work.path().join(format!("db/squash/{DATE}/surgery.targets.json"))).unwrap();
    assert!(record.contains("\"ok\": 2") && record.contains("\"failed\": 1"), "{record}");

    // Again: the done ones say so, and nothing changes.
    let (code, stdout, _) = run(&surgery);
    assert_eq!(code, Some(1));
    assert_eq!(stdout.matches("ok: already done (squashmate surgery: the ledger already holds baseline").count(), 2, "{stdout}");

    let (code, stdout, _) = run(&rollback);
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(stdout.matches("ok: done").count(), 2, "{stdout}");
    assert_eq!(stdout.matches("ok: already done").count(), 1, "the never-squashed one has nothing to undo: {stdout}");
    let (code, stdout, _) = run(&rollback);
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(stdout.matches("ok: already done").count(), 3, "{stdout}");

    // Shards' JSON results merge into one table.
    for shard in ["1/2", "2/2"] {
        let (_, stdout, _) = common::outcome(common::squashmate().current_dir(work.path()).args([
            "--targets",
            "targets",
            "--shard",
            shard,
            "status",
            "--format",
            "json",
        ]));
        std::fs::write(work.path().join(format!("shard-{}.json", &shard[..1])), stdout).unwrap();
    }
    let (code, stdout, _) =
        common::outcome(common::squashmate().current_dir(work.path()).args(["fleet-report", "shard-1.json", "shard-2.json"]));
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("3 target(s): 3 ok, 0 failed"), "{stdout}");
}
