//! `--format markdown` as a pull request shows it, pinned by snapshots (what varies from run to
//! run — ports, database names, times, versions — filtered out): lint with hazards, diff, plan,
//! drift, status over targets, and squash's report, whose Mermaid graph a real renderer
//! (mermaid-cli in headless Chromium) must draw.

use std::path::Path;
use std::process::Command;

use crate::common;
use crate::squash::{DATE, plan};

/// Runs insta's assertion with run-specific text replaced.
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![
            (r"\d+(\.\d+)?s \|", "[time] |"),
            (r"\d+ ms", "[ms]"),
            (r"127\.0\.0\.1:\d+/[A-Za-z0-9%_]+", "[server]/[database]"),
            (r"squashmate_\d+_\d+", "[database]"),
            (r"PostgreSQL \d+\.\d+", "PostgreSQL [version]"),
            (r"pg_dump \d+\.\d+", "pg_dump [version]"),
            (r" \(Debian [^)]*\)", ""),
        ]}, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

fn markdown(work: &Path, args: &[&str]) -> (Option<i32>, String) {
    let (code, stdout, stderr) = common::outcome(
        common::squashmate()
            .current_dir(work)
            .args(args)
            .args(["--format", "markdown"])
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REPOSITORY", "acme/app")
            .env("GITHUB_SHA", "0123abc"),
    );
    assert!(code.is_some_and(|c| c < 2), "{args:?}: {stdout}{stderr}");
    (code, stdout)
}

#[test]
fn lint_with_hazards_diff_and_plan_in_markdown() {
    let work = common::open_tempdir();
    common::copy_example(work.path());
    std::fs::write(
        work.path().join("db/migrations/20240901000000_hazards.sql"),
        "-- migrate:up\nALTER TABLE tasks ADD COLUMN due date NOT NULL DEFAULT now();\nCREATE INDEX tasks_due_idx ON tasks (due);\n-- migrate:down\nDROP INDEX tasks_due_idx;\nALTER TABLE tasks DROP COLUMN due;\n",
    )
    .unwrap();
    let (code, lint) = markdown(work.path(), &["lint", "--hazards"]);
    assert_eq!(code, Some(0), "hazards warn unless denied");
    snapshot!("lint_hazards_markdown", lint);

    std::fs::write(work.path().join("a.sql"), "create table t (id bigint primary key, note text);\ncreate table gone (id int);\n").unwrap();
    std::fs::write(work.path().join("b.sql"), "create table t (id bigint primary key, note varchar(20), added int);\n").unwrap();
    let (code, diff) = markdown(work.path(), &["diff", "a.sql", "b.sql", "--pg", "local"]);
    assert_eq!(code, Some(1));
    snapshot!("diff_markdown", diff);
    let (_, planned) = markdown(work.path(), &["plan", "--from", "a.sql", "--to", "b.sql", "--pg", "local"]);
    snapshot!("plan_markdown", planned);
}

#[tokio::test]
async fn drift_and_status_over_targets_in_markdown() {
    let work = common::open_tempdir();
    common::copy_example(work.path());
    let files = squashmate::migration::discover(&[work.path().join("db/migrations")]).unwrap().files;
    let server = common::local_server().await;
    let mut databases = Vec::new();
    for count in [files.len(), 20] {
        databases.push(squashmate::replay::replay(&server, &files[..count], |_, _| {}).await.unwrap().database);
    }
    let urls: Vec<String> = databases.iter().map(|db| server.url(db)).collect();
    server
        .connect(&databases[0])
        .await
        .unwrap()
        .batch_execute("ALTER TABLE tasks ADD COLUMN hotfix text; DROP INDEX tasks_assignee_open_idx")
        .await
        .unwrap();
    std::fs::write(work.path().join("targets"), urls.join("\n")).unwrap();
    let url = urls[0].clone();
    let dir = work.path().to_path_buf();
    let (drift, status) = tokio::task::spawn_blocking(move || {
        (markdown(&dir, &["-u", &url, "drift", "--pg", "local"]), markdown(&dir, &["--targets", "targets", "status"]))
    })
    .await
    .unwrap();
    assert_eq!(drift.0, Some(1));
    snapshot!("drift_markdown", drift.1);
    assert_eq!(status.0, Some(0));
    snapshot!("status_targets_markdown", status.1);
}

/// A chain whose retired objects have every kind of dependent: a foreign key from a kept
/// table, a view, an index and a CHECK on a retired column.
const DEPENDENTS: &str = "-- migrate:up
create table sessions (id bigint primary key, started timestamptz);
create table audit (id bigint primary key, session_id bigint references sessions (id), note text);
create view open_sessions as select id from sessions where started is not null;
create table agents (org bigint, id bigint, domains text[], primary key (org, id));
create index agents_domains_idx on agents using gin (domains);
alter table agents add constraint domains_not_empty check (cardinality(domains) > 0);
-- migrate:down
";

const DEPENDENTS_PLAN: &str = r#"
[retire]
tables = ["public.sessions"]
columns = ["public.agents.domains"]
views = ["public.open_sessions"]
"#;

#[test]
fn the_squash_report_in_markdown_has_a_mermaid_graph_a_real_renderer_draws() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_dependents.sql", DEPENDENTS)]);
    plan(work.path(), DEPENDENTS_PLAN);
    let dbmate = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/@dbmate/linux-x64/bin/dbmate");
    let (code, report) = markdown(work.path(), &["squash", "--date", DATE, "--pg", "local", "--dbmate", dbmate.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{report}");
    snapshot!("squash_report_markdown", report);
    let graph = report.split("```mermaid\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a mermaid block");
    let mmdc = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/mermaid/node_modules/.bin/mmdc");
    assert!(mmdc.is_file(), "mermaid-cli is needed: run scripts/test (it installs it)");
    std::fs::write(work.path().join("graph.mmd"), graph).unwrap();
    let config = work.path().join("puppeteer.json");
    std::fs::write(&config, r#"{"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-gpu"]}"#).unwrap();
    for out in ["graph.svg", "graph.png"] {
        let (code, stdout, stderr) =
            common::outcome(Command::new(&mmdc).current_dir(work.path()).args(["-q", "-i", "graph.mmd", "-o", out, "-p"]).arg(&config));
        assert_eq!(code, Some(0), "mermaid-cli refused the graph: {stdout}{stderr}\n{graph}");
    }
    let svg = std::fs::read_to_string(work.path().join("graph.svg")).unwrap();
    for label in [
        "public.sessions",
        "moved to the backup",
        "public.audit",
        "audit_session_id_fkey",
        "public.open_sessions",
        "agents_domains_idx",
        "domains_not_empty",
        "values saved by",
    ] {
        assert!(svg.contains(label), "the drawing lacks {label}");
    }
    assert!(std::fs::metadata(work.path().join("graph.png")).unwrap().len() > 5_000, "a PNG was drawn");
    if let Ok(keep) = std::env::var("SQUASHMATE_KEEP_GRAPH") {
        std::fs::copy(work.path().join("graph.png"), keep).unwrap();
    }
}
