//! `gate` and `hash` on real temporary git repositories: each scenario and the exact violation
//! it must produce (or not).

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use squashmate::baseline::BaselineHeader;

struct Repo {
    dir: tempfile::TempDir,
}

fn up(sql: &str) -> String {
    format!("-- migrate:up\n{sql}\n-- migrate:down\n")
}

impl Repo {
    /// A repository whose main branch has three applied migrations and their sum.
    fn new() -> Self {
        let repo = Repo { dir: tempfile::tempdir().unwrap() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "dev@example.com"]);
        repo.git(&["config", "user.name", "Dev"]);
        repo.write("db/migrations/20240101000000_users.sql", &up("create table users (id int);"));
        repo.write("db/migrations/20240102000000_orders.sql", &up("create table orders (id int);"));
        repo.write("db/migrations/20240103000000_items.sql", &up("create table items (id int);"));
        repo.hash();
        repo.commit("three migrations");
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git").args(args).current_dir(self.dir.path()).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::create_dir_all(self.path(rel).parent().unwrap()).unwrap();
        std::fs::write(self.path(rel), text).unwrap();
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
    }

    fn hash(&self) {
        let out = common::squashmate().arg("hash").current_dir(self.dir.path()).output().unwrap();
        assert!(out.status.success(), "{}", common::all_output(&out));
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    /// Runs `gate --base main` with extra args; returns (exit code, output).
    fn gate(&self, extra: &[&str]) -> (Option<i32>, String) {
        let out = common::squashmate().args(["gate", "--base", "main"]).args(extra).current_dir(self.dir.path()).output().unwrap();
        (out.status.code(), common::all_output(&out))
    }

    /// Replaces the first `count` migrations with a baseline listing `listed` of them.
    fn squash(&self, count: usize, listed: usize, message: &str) {
        let dir = self.path("db/migrations");
        let mut names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        let gone: Vec<(String, String)> =
            names[..count].iter().map(|n| (n.clone(), std::fs::read_to_string(dir.join(n)).unwrap())).collect();
        let header = BaselineHeader {
            replaces: gone[..listed].iter().map(|(n, _)| n[..14].to_string()).collect(),
            chain_hash: squashmate::migration::chain_hash(&gone[..listed]),
        };
        for (name, _) in &gone {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        let body = gone.iter().map(|(_, t)| t.replace("-- migrate:up\n", "").replace("-- migrate:down\n", "")).collect::<String>();
        self.write("db/migrations/00000000000000_baseline.sql", &format!("{}{}", header.render(), up(&body)));
        self.hash();
        self.commit(message);
    }
}

fn assert_clean((code, out): (Option<i32>, String)) {
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("keep every applied migration intact"), "{out}");
}

fn assert_violation((code, out): (Option<i32>, String), code_name: &str, path_and_text: &[&str]) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("error[{code_name}]")), "expected {code_name}:\n{out}");
    for text in path_and_text {
        assert!(out.contains(text), "expected {text:?} in:\n{out}");
    }
}

#[test]
fn a_clean_addition_passes() {
    let repo = Repo::new();
    repo.write("db/migrations/20240104000000_payments.sql", &up("create table payments (id int);"));
    repo.hash();
    repo.commit("payments");
    assert_clean(repo.gate(&[]));
}

#[test]
fn a_new_file_dbmate_runs_fine_passes_but_one_it_fails_on_does_not() {
    let repo = Repo::new();
    // Only comments in the up block (dbmate records the version): a lint warning, no violation.
    repo.write("db/migrations/20240104000000_view_later.sql", &up("-- create view v as select 1;"));
    repo.hash();
    repo.commit("placeholder");
    assert_clean(repo.gate(&[]));
    // A down block PostgreSQL refuses to roll back is an error: it fails the gate.
    repo.write(
        "db/migrations/20240105000000_index.sql",
        "-- migrate:up transaction:false\ncreate index concurrently i on users (id);\n-- migrate:down transaction:false\ndrop index concurrently i;\nselect 1;\n",
    );
    repo.hash();
    repo.commit("index");
    assert_violation(repo.gate(&[]), "not-alone-without-transaction", &["20240105000000_index.sql"]);
}

#[test]
fn editing_an_applied_migration_is_a_violation_but_whitespace_and_crlf_are_not() {
    let repo = Repo::new();
    repo.write("db/migrations/20240102000000_orders.sql", &up("create table orders (id bigint);"));
    repo.hash();
    repo.commit("edit");
    assert_violation(
        repo.gate(&[]),
        "modified",
        &["db/migrations/20240102000000_orders.sql:2:1", "applied migration 20240102000000_orders.sql was modified"],
    );

    let repo = Repo::new();
    repo.write("db/migrations/20240102000000_orders.sql", "-- migrate:up\n\ncreate   table orders(\n    id int\n);\n\n-- migrate:down\n");
    repo.hash();
    repo.commit("reformat");
    assert_clean(repo.gate(&[]));

    let repo = Repo::new();
    repo.write("db/migrations/20240102000000_orders.sql", &up("create table orders (id int);").replace('\n', "\r\n"));
    repo.commit("crlf");
    assert_clean(repo.gate(&[]));
}

#[test]
fn deleting_an_applied_migration_is_a_violation() {
    let repo = Repo::new();
    repo.remove("db/migrations/20240102000000_orders.sql");
    repo.hash();
    repo.commit("delete");
    assert_violation(
        repo.gate(&[]),
        "deleted",
        &["db/migrations/20240102000000_orders.sql", "no commit in the range carries [squash-baseline]"],
    );
}

#[test]
fn renames_keep_their_version_or_are_violations() {
    let repo = Repo::new();
    repo.git(&["mv", "db/migrations/20240102000000_orders.sql", "db/migrations/20240102000000_create_orders.sql"]);
    repo.hash();
    repo.commit("rename");
    assert_clean(repo.gate(&[]));

    let repo = Repo::new();
    repo.git(&["mv", "db/migrations/20240102000000_orders.sql", "db/migrations/20240105000000_orders.sql"]);
    repo.hash();
    repo.commit("renumber");
    assert_violation(repo.gate(&[]), "renamed-version", &["its version changed from 20240102000000 to 20240105000000"]);
}

#[test]
fn out_of_order_additions_and_merged_old_branches() {
    let repo = Repo::new();
    repo.write("db/migrations/20231201000000_early.sql", &up("create table early (id int);"));
    repo.hash();
    repo.commit("early");
    assert_violation(repo.gate(&[]), "out-of-order", &["db/migrations/20231201000000_early.sql", "is not after 20240103000000"]);
    assert_clean(repo.gate(&["--allow-out-of-order"]));

    // A long-lived branch made before the newest migration lands through a merge commit.
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "old-branch", "main~0"]);
    repo.git(&["reset", "-q", "--hard", "main"]);
    repo.write("db/migrations/20240102120000_from_branch.sql", &up("create table branchy (id int);"));
    repo.commit("branch work");
    repo.git(&["checkout", "-q", "feature"]);
    repo.write("db/migrations/20240104000000_payments.sql", &up("create table payments (id int);"));
    repo.commit("payments");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge old branch", "old-branch"]);
    repo.hash();
    repo.commit("rehash");
    assert_violation(repo.gate(&[]), "out-of-order", &["20240102120000_from_branch.sql"]);
    assert_clean(repo.gate(&["--allow-out-of-order"]));
}

#[test]
fn a_duplicate_version_across_two_directories() {
    let repo = Repo::new();
    repo.write("db/more/20240104000000_a.sql", &up("create table a (id int);"));
    repo.write("db/migrations/20240104000000_b.sql", &up("create table b (id int);"));
    let out = common::squashmate().args(["-d", "db/migrations", "-d", "db/more", "hash"]).current_dir(repo.dir.path()).output().unwrap();
    assert!(out.status.success());
    repo.commit("two dirs");
    let out = common::squashmate()
        .args(["-d", "db/migrations", "-d", "db/more", "gate", "--base", "main"])
        .current_dir(repo.dir.path())
        .output()
        .unwrap();
    assert_violation((out.status.code(), common::all_output(&out)), "duplicate-version", &["version 20240104000000 is also used by"]);
}

#[test]
fn an_honest_squash_passes_and_every_dishonest_one_fails() {
    let repo = Repo::new();
    repo.squash(2, 2, "Squash into a baseline [squash-baseline]");
    assert_clean(repo.gate(&[]));

    let repo = Repo::new();
    repo.squash(2, 2, "Squash into a baseline");
    assert_violation(repo.gate(&[]), "deleted", &["no commit in the range carries [squash-baseline]"]);

    let repo = Repo::new();
    repo.write("db/migrations/20240103000000_items.sql", &up("create table items (id bigint);"));
    repo.squash(2, 2, "Squash [squash-baseline]");
    assert_violation(
        repo.gate(&[]),
        "modified",
        &["20240103000000_items.sql", "in the [squash-baseline] commit", "a squash must not edit surviving migrations"],
    );

    let repo = Repo::new();
    repo.squash(2, 1, "Squash [squash-baseline]");
    assert_violation(
        repo.gate(&[]),
        "deleted",
        &["header does not list exactly the deleted versions", "deleted but not listed: [\"20240102000000\"]"],
    );

    let repo = Repo::new();
    repo.squash(2, 2, "Squash [squash-baseline]");
    let baseline = "db/migrations/00000000000000_baseline.sql";
    let text = std::fs::read_to_string(repo.path(baseline)).unwrap();
    repo.write(baseline, &text.replace("create table users (id int);", "create table users (id bigint);"));
    repo.hash();
    repo.commit("tweak the baseline");
    assert_violation(repo.gate(&[]), "deleted", &["was edited again after the squash"]);
}

#[test]
fn editing_the_baseline_after_the_squash_landed_is_an_edit_like_any_other() {
    let repo = Repo::new();
    repo.squash(2, 2, "Squash [squash-baseline]");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--ff-only", "feature"]);
    repo.git(&["checkout", "-q", "-b", "later"]);
    let baseline = "db/migrations/00000000000000_baseline.sql";
    let text = std::fs::read_to_string(repo.path(baseline)).unwrap();
    repo.write(baseline, &text.replace("create table orders (id int);", "create table orders (id int, note text);"));
    repo.hash();
    repo.commit("edit baseline");
    assert_violation(repo.gate(&[]), "modified", &["00000000000000_baseline.sql", "was modified"]);
}

#[test]
fn the_sum_file_must_match_and_hash_check_names_the_file() {
    let repo = Repo::new();
    repo.write("db/migrations/20240104000000_payments.sql", &up("create table payments (id int);"));
    repo.commit("forgot to hash");
    assert_violation(
        repo.gate(&[]),
        "sum-mismatch",
        &["db/migrations.sum", "20240104000000_payments.sql: in the directory but not in the sum"],
    );
    let out = common::squashmate().args(["hash", "--check"]).current_dir(repo.dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(common::all_output(&out).contains("20240104000000_payments.sql: in the directory but not in the sum"));
}

#[test]
fn a_shallow_clone_says_which_fetch_to_run_and_hash_check_still_works() {
    let repo = Repo::new();
    repo.write("db/migrations/20240104000000_payments.sql", &up("create table payments (id int);"));
    repo.hash();
    repo.commit("payments");
    let clone = tempfile::tempdir().unwrap();
    let origin = format!("file://{}", repo.dir.path().display());
    let out = Command::new("git")
        .args(["clone", "-q", "--depth", "1", "--branch", "feature", &origin, "."])
        .current_dir(clone.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = common::squashmate().args(["gate", "--base", "origin/main"]).current_dir(clone.path()).output().unwrap();
    let text = common::all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("base `origin/main` is not in this clone (a shallow clone); run `git fetch --no-tags --unshallow origin main`"),
        "{text}"
    );
    let out = common::squashmate().args(["hash", "--check"]).current_dir(clone.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::all_output(&out));
}

#[test]
fn github_annotations_point_at_the_file_and_line() {
    let repo = Repo::new();
    repo.write("db/migrations/20240102000000_orders.sql", &up("create table orders (id bigint);"));
    repo.hash();
    repo.commit("edit");
    let (code, out) = repo.gate(&["--format", "github"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("::error file=db/migrations/20240102000000_orders.sql,line=2,col=1,title=modified::"), "{out}");
}

#[test]
fn markdown_findings_link_to_the_file_and_line_at_the_commit() {
    let repo = Repo::new();
    repo.write("db/migrations/20240102000000_orders.sql", &up("create table orders (id bigint);"));
    repo.hash();
    repo.commit("edit");
    let out = common::squashmate()
        .args(["gate", "--base", "main", "--format", "markdown"])
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123abc")
        .current_dir(repo.dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("gate_markdown", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_squash_made_by_squashmate_passes_the_gate_only_with_the_sentinel() {
    for (message, clean) in [("Squash the chain [squash-baseline]", true), ("Squash the chain", false)] {
        let repo = Repo { dir: tempfile::tempdir().unwrap() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "dev@example.com"]);
        repo.git(&["config", "user.name", "Dev"]);
        common::copy_example(repo.dir.path());
        repo.hash();
        repo.commit("the chain");
        repo.git(&["checkout", "-q", "-b", "squash"]);
        repo.write("db/squash.toml", "[retire]\ntables = [\"public.mcp_proxy_sessions\"]\n");
        let out = common::squashmate().args(["squash", "--pg", "local"]).current_dir(repo.dir.path()).output().unwrap();
        assert!(out.status.success(), "{}", common::all_output(&out));
        repo.commit(message);
        let result = repo.gate(&[]);
        if clean {
            assert_clean(result);
        } else {
            assert_violation(result, "deleted", &["no commit in the range carries [squash-baseline]"]);
        }
    }
}

/// lobu's case: the chain starts with an earlier, hand-made baseline at `00000000000000`, and
/// the team squashes everything again into that version.
#[tokio::test]
async fn a_chain_that_starts_with_an_earlier_baseline_is_squashed_again_into_its_version() {
    let repo = Repo { dir: common::open_tempdir() };
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["config", "user.email", "dev@example.com"]);
    repo.git(&["config", "user.name", "Dev"]);
    let old_chain = [
        (
            "00000000000000_baseline.sql",
            "-- migrate:up\ncreate table organization (id bigserial primary key, name text not null);\ncreate table mcp_proxy_sessions (id bigserial primary key, organization_id bigint references organization (id));\ninsert into organization (name) values ('demo');\n-- migrate:down\n",
        ),
        ("20260101000000_tables.sql", "-- migrate:up\ncreate table t (a int, b int);\n-- migrate:down\ndrop table t;\n"),
        (
            "20260102000000_cleanup_concurrent.sql",
            "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY t_a_idx;\nCREATE INDEX t_b_idx ON t (b);\n",
        ),
        ("20260103000000_view_commented_out.sql", "-- migrate:up\n-- create view t_view as select a from t;\n\n-- migrate:down\n"),
    ];
    for (name, text) in old_chain {
        repo.write(&format!("db/migrations/{name}"), text);
    }
    repo.hash();
    repo.commit("the chain");

    // A production database at the end of the old chain.
    let server = common::local_server().await;
    let prod = server.url("prod");
    let (code, out, err) =
        common::outcome(common::squashmate().current_dir(repo.dir.path()).env("DATABASE_URL", &prod).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{out}{err}");

    repo.git(&["checkout", "-q", "-b", "squash"]);
    repo.write("db/squash.toml", "[retire]\ntables = [\"public.mcp_proxy_sessions\"]\n");
    let (code, out, err) = common::outcome(
        common::squashmate()
            .current_dir(repo.dir.path())
            .env("SQUASHMATE_DBMATE", common::dbmate().get_program())
            .args(["squash", "--pg", "local", "--date", "20260201"]),
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!out.contains("[FAILED]"), "{out}");
    assert!(out.contains("[ok]     the real dbmate applies the new directory on a fresh database"), "{out}");
    assert!(
        err.contains("warning[not-alone-without-transaction]") && err.contains("warning[empty-up]"),
        "the squash says what it ran past: {err}"
    );
    let names: Vec<String> =
        std::fs::read_dir(repo.path("db/migrations")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["00000000000000_baseline.sql"]);
    let baseline = std::fs::read_to_string(repo.path("db/migrations/00000000000000_baseline.sql")).unwrap();
    let header = BaselineHeader::parse(&baseline).expect("a squashmate header");
    assert_eq!(header.replaces, ["00000000000000", "20260101000000", "20260102000000", "20260103000000"]);

    // The gate accepts it with the sentinel, and only with it.
    repo.commit("Squash again [squash-baseline]");
    assert_clean(repo.gate(&[]));
    repo.git(&["commit", "-q", "--amend", "-m", "Squash again"]);
    assert_violation(repo.gate(&[]), "deleted", &["no commit in the range carries [squash-baseline]"]);

    // The surgery keeps the earlier baseline's row and removes the others; the rollback brings them back.
    let client = server.connect("prod").await.unwrap();
    let ledger = || async {
        let rows = client.query("select version from public.schema_migrations order by 1", &[]).await.unwrap();
        rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>()
    };
    let surgery = std::fs::read_to_string(repo.path("db/squash/20260201/surgery.sql")).unwrap();
    let rollback = std::fs::read_to_string(repo.path("db/squash/20260201/rollback.sql")).unwrap();
    client.batch_execute(&surgery).await.unwrap();
    assert_eq!(ledger().await, ["00000000000000"]);
    let again = client.batch_execute(&surgery).await.unwrap_err();
    assert!(server_message(&again).contains("squashed already"), "{again:?}");
    client.batch_execute("ROLLBACK").await.unwrap();
    let (code, out, err) =
        common::outcome(common::squashmate().current_dir(repo.dir.path()).env("DATABASE_URL", &prod).args(["status", "--exit-code"]));
    assert_eq!(code, Some(0), "nothing pending after the surgery: {out}{err}");
    client.batch_execute(&rollback).await.unwrap();
    assert_eq!(ledger().await, ["00000000000000", "20260101000000", "20260102000000", "20260103000000"]);
    let again = client.batch_execute(&rollback).await.unwrap_err();
    assert!(server_message(&again).contains("rolled back already"), "{again:?}");
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(ledger().await.len(), 4, "the refused second run changed nothing");
}

/// A PostgreSQL error with its server message.
fn server_message(e: &tokio_postgres::Error) -> String {
    e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string())
}

#[test]
fn a_new_file_with_an_applied_version_is_a_duplicate_even_out_of_order() {
    let repo = Repo::new();
    repo.write("db/migrations/20240102000000_again.sql", &up("create table again (id int);"));
    repo.hash();
    repo.commit("same version again");
    let expected = ["20240102000000_again.sql", "new migration version 20240102000000 is also used by"];
    assert_violation(repo.gate(&[]), "duplicate-version", &expected);
    let (code, out) = repo.gate(&["--allow-out-of-order"]);
    assert_violation((code, out.clone()), "duplicate-version", &expected);
    assert!(!out.contains("error[out-of-order]"), "{out}");
}

#[test]
fn a_rename_under_the_same_version_with_an_edit_is_modified() {
    let repo = Repo::new();
    repo.remove("db/migrations/20240102000000_orders.sql");
    repo.write("db/migrations/20240102000000_purchase_orders.sql", &up("create table orders (id bigint);"));
    repo.hash();
    repo.commit("rename and edit");
    let (code, out) = repo.gate(&[]);
    assert_violation((code, out.clone()), "modified", &["20240102000000_purchase_orders.sql", "was modified"]);
    assert!(!out.contains("error[deleted]") && !out.contains("error[out-of-order]"), "{out}");
}

#[test]
fn a_new_file_dbmate_fails_on_by_its_session_search_path_fails_the_gate() {
    let repo = Repo::new();
    repo.write("db/migrations/20240104000000_other.sql", &up("create schema other;\nset search_path to other;\ncreate table x (id int);"));
    repo.hash();
    repo.commit("other schema");
    assert_violation(repo.gate(&[]), "session-search-path", &["20240104000000_other.sql:3", "dbmate fails on this file"]);
}
