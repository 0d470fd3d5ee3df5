//! Checks before migrations, against real PostgreSQL: for each statement kind a database whose
//! rows break it — `squashmate check` names the check, the count and sample keys and exits 1
//! without changing the database (it runs read-only), `up` stops before the statement with the
//! same words and records nothing; with the rows fixed both pass and `up` applies.

use std::path::Path;

use crate::common;

const BASE: &str = "-- migrate:up
create type kind as enum ('a', 'b');
create domain positive as int check (value > 0);
create domain present as text not null;
create domain short as varchar(2);
create table customers (id bigint primary key, email text);
create table orders (id bigint primary key, customer_id bigint, qty int, kind text, code text, note text);
alter table orders add constraint qty_positive check (qty > 0) not valid;
create table legacy (id int);
create table regions (country text, code text, primary key (country, code));
create table addresses (id int primary key, country text, code text);
create sequence tickets;
-- migrate:down
";

/// Rows that break every case below.
const BAD_ROWS: &str = "
insert into customers values (1, 'x@example.com'), (2, null), (3, 'x@example.com');
-- A row from before the NOT VALID constraint (it checks new rows only).
alter table orders drop constraint qty_positive;
insert into orders values (10, 99, -1, 'zzz', 'abc', 'a note'), (11, 1, 5, 'a', '12', null);
alter table orders add constraint qty_positive check (qty > 0) not valid;
insert into legacy values (1), (1);
insert into addresses values (1, 'fr', null);
";

/// The same rows, fixed.
const FIXES: &str = "
update customers set email = 'c' || id || '@example.com';
update orders set customer_id = 1, qty = 1, kind = 'a', code = '1', note = null;
delete from legacy;
update addresses set country = null;
";

/// (case, pending migration's up, what `check` and `up` must say).
const CASES: &[(&str, &str, &str)] = &[
    (
        "set not null",
        "alter table customers alter column email set not null;",
        "check not-null:customers.email failed: 1 row(s) — rows where customers.email is NULL; first: 2",
    ),
    (
        "unique",
        "alter table customers add constraint customers_email_key unique (email);",
        "check unique:customers(email) failed: 1 row(s)",
    ),
    ("unique index", "create unique index customers_email_idx on customers (email);", "first: (x@example.com)"),
    (
        "unique index on an expression",
        "create unique index customers_email_idx on customers (lower(email));",
        "check unique:customers((lower(email))) failed: 1 row(s) — values of customers ((lower(email))) that appear more than once; first: (x@example.com)",
    ),
    (
        "partial unique index",
        "create unique index customers_email_idx on customers (email) where id < 10;",
        "check unique:customers(email) failed: 1 row(s) — values of customers (email) that appear more than once among rows where id < 10; first: (x@example.com)",
    ),
    ("primary key", "alter table legacy add primary key (id);", "check unique:legacy(id) failed: 1 row(s)"),
    (
        "check",
        "alter table orders add constraint qty_not_zero check (qty <> 0 and qty > 0);",
        "check check:qty_not_zero failed: 1 row(s) — rows of orders for which CHECK",
    ),
    (
        "validate",
        "alter table orders validate constraint qty_positive;",
        "check validate:orders.qty_positive failed: 1 row(s) — rows of orders that constraint qty_positive rejects; first: 10",
    ),
    (
        "foreign key",
        "alter table orders add foreign key (customer_id) references customers (id);",
        "check foreign-key:orders(customer_id) failed: 1 row(s) — rows of orders whose (customer_id) match no row of customers; first: 10",
    ),
    (
        "foreign key to the primary key, named by omission",
        "alter table orders add foreign key (customer_id) references customers;",
        "check foreign-key:orders(customer_id) failed: 1 row(s) — rows of orders whose (customer_id) match no row of customers; first: 10",
    ),
    (
        "foreign key MATCH FULL",
        "alter table addresses add foreign key (country, code) references regions match full;",
        "check foreign-key:addresses(country, code) failed: 1 row(s) — rows of addresses whose (country, code) match no row of regions, or have some but not all of them NULL (MATCH FULL); first: 1",
    ),
    (
        "type change",
        "alter table orders alter column code type integer using code::integer;",
        "check type:orders.code failed: 1 row(s) — rows of orders whose code is not a valid int; first: 10",
    ),
    (
        "type change to a shorter varchar",
        "alter table orders alter column code type varchar(2);",
        "check type:orders.code failed: 1 row(s) — rows of orders whose code is not a valid varchar(2); first: 10",
    ),
    (
        "type change using a cast of an expression",
        "alter table orders alter column code type integer using btrim(code)::integer;",
        "check type:orders.code failed: 1 row(s) — rows of orders whose code (USING btrim(code)::int) is not a valid int; first: 10",
    ),
    (
        "type change using an expression",
        "alter table orders alter column code type bigint using (code::integer * 10);",
        "check type:orders.code failed: 1 row(s) — rows of orders whose code (USING code::int * 10) is not a valid bigint; first: 10",
    ),
    (
        "enum from text",
        "alter table orders alter column kind type kind using kind::kind;",
        "check type:orders.kind failed: 1 row(s) — rows of orders whose kind is not a valid kind; first: 10",
    ),
    (
        "type change to a domain with a CHECK",
        "alter table orders alter column qty type positive;",
        "check type:orders.qty failed: 1 row(s) — rows of orders whose qty is not a valid positive; first: 10",
    ),
    (
        "type change to a domain over a shorter varchar",
        "alter table orders alter column code type short;",
        "check type:orders.code failed: 1 row(s) — rows of orders whose code is not a valid short; first: 10",
    ),
    (
        "type change to a NOT NULL domain",
        "alter table customers alter column email type present;",
        "check type:customers.email failed: 1 row(s) — rows of customers whose email is not a valid present; first: 2",
    ),
    (
        "new key column with one default",
        "alter table legacy add column code int unique default 5;",
        "check unique:legacy(code) failed: 1 row(s) — rows of legacy after the first, to which the new key column code would give its default again",
    ),
    ("not null column", "alter table legacy add column due date not null;", "check not-null:legacy.due failed: 2 row(s)"),
    (
        "declared",
        "-- squashmate:check no-orders-without-a-customer: select id from orders where customer_id not in (select id from customers)\nalter table orders add column shipped boolean;",
        "check no-orders-without-a-customer failed: 1 row(s)",
    ),
];

/// Statements that lose rows: `check` reports them; `up` runs them, as dbmate does, unless
/// told `--stop-on-data-loss`.
const DATA_LOSS: &[(&str, &str, &str)] = &[
    ("drop table", "drop table legacy;", "check rows-lost:legacy failed: 2 row(s) — rows of legacy, which DROP TABLE would lose"),
    ("drop column", "alter table orders drop column note;", "check values-lost:orders.note failed: 1 row(s)"),
];

struct Database {
    server: squashmate::server::EphemeralServer,
    db: String,
}

impl Database {
    /// A database with the base migration applied (from `work/base`) and `rows` in it.
    async fn with(rows: &str, work: &Path) -> Database {
        common::write_migrations(&work.join("base"), &[("20240101000000_base.sql", BASE)]);
        let server = common::local_server().await;
        let db = server.create_database(None).await.unwrap();
        let (code, out) = run(work, &server.url(&db), &["-d", "base", "up"]);
        assert_eq!(code, Some(0), "{out}");
        server.connect(&db).await.unwrap().batch_execute(rows).await.unwrap();
        Database { server, db }
    }

    fn url(&self) -> String {
        self.server.url(&self.db)
    }

    /// The ledger and the schema's fingerprint: what a check must leave as it was.
    async fn state(&self) -> (Vec<String>, String) {
        let client = self.server.connect(&self.db).await.unwrap();
        let ledger =
            client.query("select version from schema_migrations order by 1", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
        let catalog = squashmate::catalog::introspect(&client, &Default::default()).await.unwrap();
        (ledger, squashmate::catalog::fingerprint(&catalog).schema)
    }
}

/// The database's committed and rolled-back transactions, as a connection held open in one
/// transaction (so its own reads count for nothing) sees them.
struct Transactions {
    client: tokio_postgres::Client,
    /// How long the counts must stay the same to be taken as settled: before PostgreSQL 15 a
    /// statistics collector process receives them, up to half a second late.
    quiet: std::time::Duration,
}

impl Transactions {
    async fn watch(database: &Database) -> Transactions {
        let client = database.server.connect(&database.db).await.unwrap();
        client.batch_execute("BEGIN").await.unwrap();
        let version: i32 = client.query_one("SELECT current_setting('server_version_num')::int", &[]).await.unwrap().get(0);
        let quiet = std::time::Duration::from_millis(if version < 150000 { 1200 } else { 100 });
        Transactions { client, quiet }
    }

    async fn now(&self) -> (i64, i64) {
        let row = self
            .client
            .query_one(
                "SELECT xact_commit, xact_rollback FROM (SELECT pg_stat_clear_snapshot()) AS cleared, pg_stat_database WHERE datname = current_database()",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    }

    /// The counts once no other process is connected and they stay the same for a moment
    /// (a process's statistics arrive as it exits), with `until` true of them; at most a
    /// hundred tries.
    async fn settled(&self, until: impl Fn((i64, i64)) -> bool) -> (i64, i64) {
        let others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
        for _ in 0..100 {
            let before = self.now().await;
            tokio::time::sleep(self.quiet).await;
            let alone = self.client.query_one(others, &[]).await.unwrap().get::<_, i64>(0) == 0;
            let now = self.now().await;
            if alone && now == before && until(now) {
                return now;
            }
        }
        panic!("the database's transaction counts did not settle")
    }

    /// What `action` added to the counts (committed, rolled back), once it has rolled back at
    /// least once and every process it started has gone.
    async fn added_by<T>(&self, action: impl std::future::Future<Output = T>) -> ((i64, i64), T) {
        let before = self.settled(|_| true).await;
        let result = action.await;
        let after = self.settled(|(_, rollbacks)| rollbacks > before.1).await;
        ((after.0 - before.0, after.1 - before.1), result)
    }
}

/// What one connection that only begins a read-only transaction and rolls it back adds to the
/// counts: PostgreSQL counts the transaction a backend runs to start up as a commit.
async fn one_rolled_back_connection(database: &Database, transactions: &Transactions) -> (i64, i64) {
    let (added, ()) = transactions
        .added_by(async {
            let client = database.server.connect(&database.db).await.unwrap();
            client.batch_execute("BEGIN READ ONLY; SELECT 1; ROLLBACK").await.unwrap();
        })
        .await;
    added
}

fn run(work: &Path, url: &str, args: &[&str]) -> (Option<i32>, String) {
    let (code, stdout, stderr) = common::outcome(common::squashmate().current_dir(work).args(["-u", url, "--no-dump-schema"]).args(args));
    (code, format!("{stdout}{stderr}"))
}

fn chain(work: &Path, pending: &str) {
    let dir = work.join("db/migrations");
    let _ = std::fs::remove_dir_all(&dir);
    common::write_migrations(
        &dir,
        &[("20240101000000_base.sql", BASE), ("20240201000000_change.sql", &format!("-- migrate:up\n{pending}\n-- migrate:down\n"))],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_statement_kind_is_checked_before_it_runs_and_stops_up_with_the_same_words() {
    let work = common::open_tempdir();
    let database = Database::with(BAD_ROWS, work.path()).await;
    let url = database.url();
    let before = database.state().await;
    let transactions = Transactions::watch(&database).await;
    let rolled_back_only = one_rolled_back_connection(&database, &transactions).await;
    // Every case's check, nothing else connecting meanwhile: the database's statistics move
    // exactly as for that many connections that commit nothing.
    let (added, checked) = transactions
        .added_by(async {
            let check = |up: &str| {
                chain(work.path(), up);
                tokio::task::block_in_place(|| run(work.path(), &url, &["check"]))
            };
            CASES.iter().map(|(_, up, _)| check(up)).collect::<Vec<_>>()
        })
        .await;
    let cases = CASES.len() as i64;
    assert_eq!(added, (rolled_back_only.0 * cases, rolled_back_only.1 * cases), "the checks committed something");
    for ((case, _, says), (code, out)) in CASES.iter().zip(&checked) {
        assert_eq!(*code, Some(1), "{case}: {out}");
        assert!(out.contains(says), "{case}: check says\n{out}");
        assert!(out.contains("db/migrations/20240201000000_change.sql:2:1: check"), "{case}: located\n{out}");
    }
    assert_eq!(database.state().await, before, "check changed the database");
    for (case, up, says) in CASES {
        chain(work.path(), up);
        let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["up"]));
        assert_eq!(code, Some(2), "{case}: up ran\n{out}");
        assert!(out.contains(says) && out.contains("nothing of this file ran"), "{case}: up says\n{out}");
        assert_eq!(database.state().await, before, "{case}: up recorded or changed something");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_what_a_drop_would_lose_up_stops_when_told_and_otherwise_runs_it_as_dbmate_does() {
    let work = common::open_tempdir();
    for (case, up, says) in DATA_LOSS {
        let database = Database::with(BAD_ROWS, work.path()).await;
        let url = database.url();
        chain(work.path(), up);
        let before = database.state().await;
        let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["check"]));
        assert_eq!(code, Some(1), "{case}: {out}");
        assert!(out.contains(says) && out.contains("-- squashmate:allow data-loss"), "{case}: {out}");
        let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["--stop-on-data-loss", "up"]));
        assert_eq!(code, Some(2), "{case}: up ran\n{out}");
        assert!(out.contains(says) && out.contains("nothing of this file ran"), "{case}: up says\n{out}");
        assert_eq!(database.state().await, before, "{case}: up recorded or changed something");
        let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["up"]));
        assert_eq!(code, Some(0), "{case}: {out}");
        assert_eq!(database.state().await.0, ["20240101000000", "20240201000000"], "{case}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_clean_rows_every_check_passes_and_up_applies() {
    let work = common::open_tempdir();
    let bad = format!("{BAD_ROWS}{FIXES}");
    for (case, up, _) in CASES {
        let database = Database::with(&bad, work.path()).await;
        let url = database.url();
        chain(work.path(), up);
        let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["check"]));
        assert_eq!(code, Some(0), "{case}: {out}");
        assert!(out.contains("0 failed"), "{case}: {out}");
        let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["up"]));
        assert_eq!(code, Some(0), "{case}: {out}");
        assert_eq!(database.state().await.0, ["20240101000000", "20240201000000"], "{case}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_run_read_only_a_backfill_is_left_to_up_and_data_loss_can_be_allowed() {
    let work = common::open_tempdir();
    let database = Database::with(BAD_ROWS, work.path()).await;
    let url = database.url();

    // A declared check that writes cannot: the transaction is read-only.
    chain(work.path(), "-- squashmate:check takes-a-ticket: select nextval('tickets')\nselect 1;");
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["check"]));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("check takes-a-ticket did not run: cannot execute nextval() in a read-only transaction"), "{out}");

    // A backfill before the statement: `check` cannot tell, `up` runs the file and it passes.
    chain(
        work.path(),
        "update customers set email = 'c' || id where email is null;\nalter table customers alter column email set not null;",
    );
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["check"]));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("skipped: an earlier statement of its file changes rows first"), "{out}");
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["up"]));
    assert_eq!(code, Some(0), "{out}");

    // Losing rows on purpose, said above the statement.
    let drop = "-- migrate:up\n-- squashmate:allow data-loss the rows were archived in 2023\ndrop table legacy;\n-- migrate:down\n";
    common::write_migrations(&work.path().join("db/migrations"), &[("20240301000000_drop.sql", drop)]);
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["check"]));
    assert_eq!((code, out.contains("0 check(s) in 1 pending file(s)")), (Some(0), true), "allowed: {out}");
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["up"]));
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_take_no_lock_stronger_than_access_share_and_a_broken_declared_check_is_a_lint_error() {
    let work = common::open_tempdir();
    let database = Database::with(&format!("{BAD_ROWS}{FIXES}"), work.path()).await;
    let url = database.url();
    // Every derived kind on the tables, then a declared check that reads its own transaction's
    // relation locks: after the others ran, it must find none but ACCESS SHARE.
    let every: String = CASES.iter().filter(|(case, _, _)| *case != "declared").map(|(_, up, _)| format!("{up}\n")).collect();
    let locks = "-- squashmate:check only-access-share: select relation::regclass::text, mode from pg_locks where pid = pg_backend_pid() and locktype = 'relation' and mode <> 'AccessShareLock'";
    chain(work.path(), &format!("{every}{locks}"));
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["check", "--format", "json"]));
    assert_eq!(code, Some(0), "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let checks = report["files"][0]["checks"].as_array().unwrap();
    assert!(checks.len() >= CASES.len(), "{out}");
    assert!(checks.iter().any(|c| c["check"]["name"] == "only-access-share" && c["verdict"] == "passed"), "{out}");
    // The same question finds a stronger lock when one is held: the statement's own.
    let held = database.server.connect(&database.db).await.unwrap();
    held.batch_execute("BEGIN; LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE").await.unwrap();
    let query = locks.split_once(": ").unwrap().1;
    let found: Vec<(String, String)> = held.query(query, &[]).await.unwrap().iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(found, [("orders".to_string(), "ShareRowExclusiveLock".to_string())]);
    held.batch_execute("ROLLBACK").await.unwrap();

    chain(work.path(), "-- squashmate:check broken: selec id from orders\nselect 1;");
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["lint"]));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("error[declared-check]: the SQL of check broken does not run") && out.contains("20240201000000_change.sql:2:1"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_that_would_succeed_are_never_stopped() {
    let work = common::open_tempdir();
    // numeric 1.5 casts to integer 2 (its text is no integer); NULL keys never collide under
    // UNIQUE; a partial unique index is asked about the rows it covers only; a new serial
    // column gives each row its own value, a new NOT NULL column of a domain with a default
    // gives each row that default; a string cast
    // explicitly to a shorter varchar is cut, not refused.
    let rows = "create domain counted as int default 0; create table nums (id int primary key, amount numeric, tag text, word text); insert into nums values (1, 1.5, null, 'long'), (2, 2, null, 'ab'), (3, 3, 'x', null), (4, 4, null, 'AB');";
    let database = Database::with(rows, work.path()).await;
    let url = database.url();
    chain(
        work.path(),
        "alter table nums alter column amount type integer;\nalter table nums add constraint nums_tag_key unique (tag);\ncreate unique index nums_tag_idx on nums (tag);\ncreate unique index nums_word_idx on nums (lower(word)) where id > 2;\nalter table nums add column serial_id bigserial not null unique;\nalter table nums add column hits counted not null;\nalter table nums alter column word type varchar(2) using word::varchar(2);",
    );
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["check"]));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("6 check(s) in 1 pending file(s): 6 passed"), "{out}");
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &url, &["up"]));
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn lint_with_hazards_lists_the_checks_each_statement_will_get() {
    let work = common::open_tempdir();
    chain(work.path(), "alter table orders add foreign key (customer_id) references customers (id);\ndrop table legacy;");
    let out = common::run(work.path(), &["lint", "--hazards"]);
    let text = common::all_output(&out);
    assert!(text.contains("Checks `squashmate check` and `up` ask the database before these statements run:"), "{text}");
    assert!(text.contains("  db/migrations/20240201000000_change.sql:2:1: foreign-key:orders(customer_id) — rows of orders whose (customer_id) match no row of customers"), "{text}");
    assert!(text.contains("change.sql:3:1: rows-lost:legacy"), "{text}");
    let json = common::run(work.path(), &["lint", "--hazards", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["checks"].as_array().unwrap().len(), 2, "{doc}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_over_targets_names_the_databases_whose_rows_break_a_pending_migration() {
    let work = common::open_tempdir();
    let broken = Database::with(BAD_ROWS, work.path()).await;
    let clean = Database::with(&format!("{BAD_ROWS}{FIXES}"), work.path()).await;
    std::fs::write(work.path().join("targets"), format!("{}\n{}\n", broken.url(), clean.url())).unwrap();
    chain(work.path(), "alter table customers alter column email set not null;");
    let before = (broken.state().await, clean.state().await);
    let (code, stdout, stderr) = tokio::task::block_in_place(|| {
        common::outcome(common::squashmate().current_dir(work.path()).args(["--targets", "targets", "check"]))
    });
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("FAILED: 1 check(s) in 1 pending file(s): 0 passed, 1 failed, 0 skipped"), "{stdout}");
    assert!(stdout.contains("ok: 1 check(s) in 1 pending file(s): 1 passed, 0 failed, 0 skipped"), "{stdout}");
    assert!(stdout.contains("2 target(s): 1 ok, 1 failed"), "{stdout}");
    assert_eq!((broken.state().await, clean.state().await), before, "nothing changed anywhere");
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_of_one_table_share_one_scan_while_they_pass_and_each_failure_is_still_named() {
    let work = common::open_tempdir();
    // The transaction's own count of scans of customers, read by a declared check after the
    // derived ones: one when their scan is shared.
    let scans = "-- squashmate:check one-scan: select n from (select pg_stat_get_xact_numscans('customers'::regclass) as n) s where n <> 1";
    let pending = format!(
        "alter table customers alter column email set not null;\nalter table customers add constraint customers_id_positive check (id > 0);\n{scans}\nselect 1;"
    );
    let clean = Database::with(&format!("{BAD_ROWS}{FIXES}"), work.path()).await;
    chain(work.path(), &pending);
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &clean.url(), &["check"]));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("3 check(s) in 1 pending file(s): 3 passed"), "{out}");
    // With a NULL email the shared scan finds a row: each check is asked on its own, the
    // failing one named, the passing one passed — and the scan count shows it (so the count
    // the declared check reads is no constant).
    let broken = Database::with(BAD_ROWS, work.path()).await;
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &broken.url(), &["check"]));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("check not-null:customers.email failed: 1 row(s)"), "{out}");
    assert!(out.contains("check one-scan failed: 1 row(s)"), "{out}");
    assert!(out.contains("3 check(s) in 1 pending file(s): 1 passed, 2 failed"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_count_stops_at_its_cap_and_shows_the_first_few_keys() {
    let work = common::open_tempdir();
    let many = format!("{BAD_ROWS}insert into customers select g, null from generate_series(100, 1599) g;");
    let database = Database::with(&many, work.path()).await;
    chain(work.path(), "alter table customers alter column email set not null;");
    let (code, out) = tokio::task::block_in_place(|| run(work.path(), &database.url(), &["check"]));
    assert_eq!(code, Some(1), "{out}");
    let finding = out.lines().find(|l| l.contains("check not-null:customers.email failed")).unwrap_or_else(|| panic!("{out}"));
    assert!(finding.contains("failed: 1000+ row(s)"), "{finding}");
    let first = finding.split_once("; first: ").unwrap().1;
    assert_eq!(first.split(", ").count(), squashmate::checks::SAMPLES, "{finding}");
}
