//! The judge: 49 drift cases, each a base schema and a changed one applied to two databases,
//! with the exact path and class expected; equivalence cases that must report nothing but
//! cosmetics; fingerprints; and `drift` finding manual DDL.

use crate::common;

use squashmate::catalog::{Catalog, Class, IntrospectOptions, Kind, ObjectPath, Prop, diff, fingerprint, introspect};
use squashmate::server::EphemeralServer;

use Class::{Cosmetic, Destructive, NeedsConfirm, Safe};

async fn catalog_of(server: &EphemeralServer, sql: &str) -> Catalog {
    let db = server.create_database(None).await.unwrap();
    let client = server.connect(&db).await.unwrap();
    client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    introspect(&client, &IntrospectOptions::default()).await.unwrap()
}

/// (name, base, changed, expected (path, class) list)
type Case = (&'static str, &'static str, &'static str, &'static [(&'static str, Class)]);

const T: &str = "create table t (id int primary key, a int, k text, v varchar(100));";

const CASES: &[Case] = &[
    (
        "check changed under the same name",
        "create table t (k text constraint t_k_check check (k in ('a', 'b')));",
        "create table t (k text constraint t_k_check check (k in ('a', 'b', 'c')));",
        &[("table public.t / constraint t_k_check / definition", NeedsConfirm)],
    ),
    (
        "not null in the database only",
        "create table t (a int);",
        "create table t (a int not null);",
        &[("table public.t / column a / nullability", NeedsConfirm)],
    ),
    (
        "not null relaxed",
        "create table t (a int not null);",
        "create table t (a int);",
        &[("table public.t / column a / nullability", Safe)],
    ),
    (
        "varchar narrowed",
        "create table t (v varchar(100));",
        "create table t (v varchar(50));",
        &[("table public.t / column v / type", Destructive)],
    ),
    (
        "varchar widened",
        "create table t (v varchar(50));",
        "create table t (v varchar(100));",
        &[("table public.t / column v / type", Safe)],
    ),
    ("varchar to text", "create table t (v varchar(50));", "create table t (v text);", &[("table public.t / column v / type", Safe)]),
    ("integer widened", "create table t (a int);", "create table t (a bigint);", &[("table public.t / column a / type", Safe)]),
    ("bigint narrowed", "create table t (a bigint);", "create table t (a int);", &[("table public.t / column a / type", Destructive)]),
    (
        "type changed otherwise",
        "create table t (a int);",
        "create table t (a text);",
        &[("table public.t / column a / type", NeedsConfirm)],
    ),
    (
        "default changed",
        "create table t (a int default 1);",
        "create table t (a int default 2);",
        &[("table public.t / column a / default", NeedsConfirm)],
    ),
    (
        "default added",
        "create table t (a int);",
        "create table t (a int default 0);",
        &[("table public.t / column a / default", NeedsConfirm)],
    ),
    ("orphan column", "create table t (a int);", "create table t (a int, extra text);", &[("table public.t / column extra", Safe)]),
    ("missing column", "create table t (a int, gone text);", "create table t (a int);", &[("table public.t / column gone", Destructive)]),
    (
        "renamed column",
        "create table t (a int, old_name text);",
        "create table t (a int, new_name text);",
        &[("table public.t / column new_name", Safe), ("table public.t / column old_name", Destructive)],
    ),
    (
        "enum value added",
        "create type e as enum ('a', 'b');",
        "create type e as enum ('a', 'b', 'c');",
        &[("enum public.e / labels", Safe)],
    ),
    (
        "enum reordered",
        "create type e as enum ('a', 'b');",
        "create type e as enum ('b', 'a');",
        &[("enum public.e / labels", NeedsConfirm)],
    ),
    ("enum value removed", "create type e as enum ('a', 'b');", "create type e as enum ('a');", &[("enum public.e / labels", Destructive)]),
    (
        "index made partial",
        "create table t (a int); create index t_a_idx on t (a);",
        "create table t (a int); create index t_a_idx on t (a) where a > 0;",
        &[("table public.t / index t_a_idx / definition", NeedsConfirm)],
    ),
    (
        "foreign key on delete changed",
        "create table p (id int primary key); create table c (p_id int references p on delete cascade);",
        "create table p (id int primary key); create table c (p_id int references p on delete restrict);",
        &[("table public.c / constraint c_p_id_fkey / definition", NeedsConfirm)],
    ),
    (
        "policy using changed",
        "create table t (a int); alter table t enable row level security; create policy p on t using (a > 0);",
        "create table t (a int); alter table t enable row level security; create policy p on t using (a > 1);",
        &[("table public.t / policy p / using", NeedsConfirm)],
    ),
    (
        "function body changed",
        "create function f() returns int language sql as $$ select 1 $$;",
        "create function f() returns int language sql as $$ select 2 $$;",
        &[("function public.f() / definition", NeedsConfirm)],
    ),
    (
        "function body whitespace only",
        "create function f() returns int language sql as $$ select 1 $$;",
        "create function f() returns int language sql as $$\n    select   1\n$$;",
        &[("function public.f() / definition", Cosmetic)],
    ),
    (
        "trigger disabled",
        "create table t (a int); create function tf() returns trigger language plpgsql as $$ begin return new; end $$; create trigger trg before insert on t for each row execute function tf();",
        "create table t (a int); create function tf() returns trigger language plpgsql as $$ begin return new; end $$; create trigger trg before insert on t for each row execute function tf(); alter table t disable trigger trg;",
        &[("table public.t / trigger trg / enabled", NeedsConfirm)],
    ),
    (
        "view redefined",
        "create table t (a int); create view v as select a from t;",
        "create table t (a int); create view v as select a from t where a > 0;",
        &[("view public.v / definition", NeedsConfirm)],
    ),
    (
        "table comment changed",
        "create table t (a int); comment on table t is 'one';",
        "create table t (a int); comment on table t is 'two';",
        &[("table public.t / comment", Safe)],
    ),
    (
        "column comment added",
        "create table t (a int);",
        "create table t (a int); comment on column t.a is 'the a';",
        &[("table public.t / column a / comment", Safe)],
    ),
    (
        "sequence increment changed",
        "create sequence s increment 1;",
        "create sequence s increment 5;",
        &[("sequence public.s / parameters", NeedsConfirm)],
    ),
    (
        "table missing",
        "create table t (a int); create table gone (a int);",
        "create table t (a int);",
        &[("table public.gone", Destructive)],
    ),
    ("table extra", "create table t (a int);", "create table t (a int); create table more (a int);", &[("table public.more", Safe)]),
    (
        "unique constraint added",
        T,
        "create table t (id int primary key, a int unique, k text, v varchar(100));",
        &[("table public.t / constraint t_a_key", NeedsConfirm)],
    ),
    (
        "primary key columns changed",
        "create table t (a int, b int, primary key (a));",
        "create table t (a int, b int, primary key (a, b));",
        &[("table public.t / column b / nullability", NeedsConfirm), ("table public.t / constraint t_pkey / definition", NeedsConfirm)],
    ),
    (
        "row level security enabled",
        "create table t (a int);",
        "create table t (a int); alter table t enable row level security;",
        &[("table public.t / row level security", NeedsConfirm)],
    ),
    ("unlogged", "create table t (a int);", "create unlogged table t (a int);", &[("table public.t / persistence", NeedsConfirm)]),
    (
        "identity added",
        "create table t (a int not null);",
        "create table t (a int generated always as identity);",
        &[("table public.t / column a / identity", NeedsConfirm)],
    ),
    (
        "generated expression changed",
        "create table t (a int, b int generated always as (a * 2) stored);",
        "create table t (a int, b int generated always as (a * 3) stored);",
        &[("table public.t / column b / generated", NeedsConfirm)],
    ),
    (
        "domain constraint changed",
        "create domain d as int check (value > 0);",
        "create domain d as int check (value > 10);",
        &[("domain public.d / constraints", NeedsConfirm)],
    ),
    (
        "composite attribute type changed",
        "create type ct as (a int);",
        "create type ct as (a bigint);",
        &[("composite type public.ct / column a / type", Safe)],
    ),
    (
        "materialized view redefined",
        "create table t (a int); create materialized view mv as select a from t;",
        "create table t (a int); create materialized view mv as select a + 1 as a from t;",
        &[("materialized view public.mv / definition", NeedsConfirm)],
    ),
    (
        "view another view selects from, recreated",
        "create table t (a int, b int); create view v as select a, b from t; create view w as select a from v;",
        "create table t (a int, b int); create view v as select b, a from t; create view w as select a from v;",
        &[
            ("view public.v / column a / position", Cosmetic),
            ("view public.v / column b / position", Cosmetic),
            ("view public.v / definition", NeedsConfirm),
        ],
    ),
    (
        "column type under a view",
        "create table t (a int, b text); create view v as select a from t; create view w as select count(*) from t;",
        "create table t (a bigint, b text); create view v as select a from t; create view w as select count(*) from t;",
        &[("table public.t / column a / type", Safe), ("view public.v / column a / type", Safe)],
    ),
    (
        "materialized view with an index and a comment redefined",
        "create table t (a int); create materialized view mv as select a from t; create index mv_a on mv (a); comment on materialized view mv is 'kept';",
        "create table t (a int); create materialized view mv as select a, a + 1 as b from t; create index mv_a on mv (a); comment on materialized view mv is 'kept';",
        &[("materialized view public.mv / column b", Safe), ("materialized view public.mv / definition", NeedsConfirm)],
    ),
    (
        "domain default and not null changed",
        "create domain d as int default 1 check (value > 0);",
        "create domain d as int default 2 not null check (value > 0);",
        &[("domain public.d / default", NeedsConfirm), ("domain public.d / not null", NeedsConfirm)],
    ),
    ("range type added", "", "create type floatrange as range (subtype = float8);", &[("range type public.floatrange", Safe)]),
    (
        "event trigger added, then disabled",
        "create function note_ddl() returns event_trigger language plpgsql as $$ begin null; end $$;",
        "create function note_ddl() returns event_trigger language plpgsql as $$ begin null; end $$;
         create event trigger note_ddl on ddl_command_end when tag in ('CREATE TABLE', 'ALTER TABLE') execute function note_ddl();
         alter event trigger note_ddl disable;",
        &[("event trigger note_ddl", Safe)],
    ),
    (
        "event trigger disabled",
        "create function note_ddl() returns event_trigger language plpgsql as $$ begin null; end $$;
         create event trigger note_ddl on ddl_command_end execute function note_ddl();",
        "create function note_ddl() returns event_trigger language plpgsql as $$ begin null; end $$;
         create event trigger note_ddl on ddl_command_end execute function note_ddl();
         alter event trigger note_ddl disable;",
        &[("event trigger note_ddl / enabled", NeedsConfirm)],
    ),
    ("domain base type changed", "create domain d as int;", "create domain d as bigint;", &[("domain public.d / base type", NeedsConfirm)]),
    (
        "existing table attached as a partition",
        "create table m (id int, at date) partition by range (at); create table m_2024 (id int, at date);",
        "create table m (id int, at date) partition by range (at);
         create table m_2024 partition of m for values from ('2024-01-01') to ('2025-01-01');",
        &[("table public.m_2024 / inherits", NeedsConfirm), ("table public.m_2024 / partition bound", NeedsConfirm)],
    ),
    (
        "existing table made to inherit",
        "create table p (a int); create table c (a int, b int);",
        "create table p (a int); create table c (a int, b int) inherits (p);",
        &[("table public.c / inherits", NeedsConfirm)],
    ),
    (
        "replica identity set to an index",
        "create table t (id int not null, code text not null); create unique index t_code_key on t (code);",
        "create table t (id int not null, code text not null); create unique index t_code_key on t (code);
         alter table t replica identity using index t_code_key;",
        &[("table public.t / replica identity", NeedsConfirm)],
    ),
    (
        "a function over a new table, a view over the function, a CHECK calling a function",
        "create table a (x int);",
        "create table a (x int); create table t (id int, name text);
         create function all_t() returns setof t language sql as 'select * from t';
         create view v as select * from all_t();
         create function lim() returns int language sql immutable as 'select 3';
         create table u (c int check (c > public.lim()));",
        &[
            ("function public.all_t()", Safe),
            ("function public.lim()", Safe),
            ("table public.t", Safe),
            ("table public.u", Safe),
            ("view public.v", Safe),
        ],
    ),
    (
        "foreign table added",
        "create foreign data wrapper w; create server s1 foreign data wrapper w; create server s2 foreign data wrapper w;",
        "create foreign data wrapper w; create server s1 foreign data wrapper w; create server s2 foreign data wrapper w;
         create foreign table ft (a int, b text) server s1 options (table_name 'remote');",
        &[("foreign table public.ft", Safe)],
    ),
    (
        "foreign table options changed",
        "create foreign data wrapper w; create server s1 foreign data wrapper w;
         create foreign table ft (a int) server s1 options (table_name 'remote', schema_name 'x');",
        "create foreign data wrapper w; create server s1 foreign data wrapper w;
         create foreign table ft (a int) server s1 options (table_name 'other', updatable 'false');",
        &[("foreign table public.ft / foreign options", NeedsConfirm)],
    ),
    (
        "foreign table moved to another server with other options",
        "create foreign data wrapper w; create server s1 foreign data wrapper w; create server s2 foreign data wrapper w;
         create foreign table ft (a int) server s1 options (table_name 'remote'); comment on foreign table ft is 'kept';",
        "create foreign data wrapper w; create server s1 foreign data wrapper w; create server s2 foreign data wrapper w;
         create foreign table ft (a int) server s2 options (table_name 'other'); comment on foreign table ft is 'kept';",
        &[("foreign table public.ft / foreign options", NeedsConfirm), ("foreign table public.ft / server", NeedsConfirm)],
    ),
    (
        "existing column made serial",
        "create table counters (n int not null); insert into counters values (1), (7);",
        "create table counters (n serial);",
        &[("sequence owned by public.counters.n", Safe), ("table public.counters / column n / default", NeedsConfirm)],
    ),
    (
        "enum reordered under a view",
        "create type mood as enum ('a', 'b'); create table t (m mood default 'a'); create view v as select m from t;",
        "create type mood as enum ('b', 'a'); create table t (m mood default 'a'); create view v as select m from t;",
        &[("enum public.mood / labels", NeedsConfirm)],
    ),
    ("extension added", "", "create extension pgcrypto;", &[("extension pgcrypto", Safe)]),
    ("schema added", "", "create schema app;", &[("schema app", Safe)]),
    (
        "publication added",
        "create table t (a int);",
        "create table t (a int); create publication pub for table t;",
        &[("publication pub", Safe)],
    ),
    (
        "rule added",
        "create table t (a int);",
        "create table t (a int); create rule no_delete as on delete to t do instead nothing;",
        &[("table public.t / rule no_delete", NeedsConfirm)],
    ),
    (
        "extended statistics added",
        "create table t (a int, b int);",
        "create table t (a int, b int); create statistics t_ab on a, b from t;",
        &[("statistics public.t_ab", Safe)],
    ),
    (
        "check made not valid",
        "create table t (a int constraint t_a_check check (a > 0));",
        "create table t (a int); alter table t add constraint t_a_check check (a > 0) not valid;",
        &[("table public.t / constraint t_a_check / definition", NeedsConfirm)],
    ),
    (
        "exclusion constraint added",
        "create table t (r int4range);",
        "create table t (r int4range, exclude using gist (r with &&));",
        &[("table public.t / constraint t_r_excl", NeedsConfirm)],
    ),
    (
        "collation changed",
        "create table t (k text);",
        "create table t (k text collate \"POSIX\");",
        &[("table public.t / column k / collation", NeedsConfirm)],
    ),
    (
        "column order only",
        "create table t (a int, b int);",
        "create table t (b int, a int);",
        &[("table public.t / column a / position", Cosmetic), ("table public.t / column b / position", Cosmetic)],
    ),
    ("collation added", "", "create collation plain (provider = libc, locale = 'C');", &[("collation public.plain", Safe)]),
    (
        "cast added",
        "create type pair as (a int, b int); create function pair_sum(pair) returns int language sql immutable as 'select $1.a + $1.b';",
        "create type pair as (a int, b int); create function pair_sum(pair) returns int language sql immutable as 'select $1.a + $1.b';
         create cast (public.pair as integer) with function pair_sum(pair);",
        &[("cast (public.pair AS integer)", Safe)],
    ),
    (
        "operator's function changed",
        "create function near(int, int) returns bool language sql immutable as 'select abs($1 - $2) < 2';
         create function far(int, int) returns bool language sql immutable as 'select abs($1 - $2) > 2';
         create operator ~~~ (leftarg = int, rightarg = int, function = near);",
        "create function near(int, int) returns bool language sql immutable as 'select abs($1 - $2) < 2';
         create function far(int, int) returns bool language sql immutable as 'select abs($1 - $2) > 2';
         create operator ~~~ (leftarg = int, rightarg = int, function = far);",
        &[("operator public.~~~(integer, integer) / function", NeedsConfirm)],
    ),
    (
        "foreign server options changed",
        "create foreign data wrapper w; create server s foreign data wrapper w options (host 'a');",
        "create foreign data wrapper w; create server s foreign data wrapper w options (host 'b');",
        &[("server s / options", NeedsConfirm)],
    ),
    (
        "invalid index",
        "create table t (a int); create index t_a_idx on t (a);",
        "create table t (a int); create index t_a_idx on t (a); update pg_index set indisvalid = false where indexrelid = 'public.t_a_idx'::regclass;",
        &[("table public.t / index t_a_idx / validity", NeedsConfirm)],
    ),
];

#[tokio::test]
async fn every_drift_case_is_reported_with_its_path_and_class() {
    assert!(CASES.len() >= 40, "at least 40 drift cases, have {}", CASES.len());
    let server = common::local_server().await;
    let mut failures = Vec::new();
    for (name, base, changed, expected) in CASES {
        let (a, b) = (catalog_of(&server, base).await, catalog_of(&server, changed).await);
        let found: Vec<(String, Class)> = diff(&a, &b).into_iter().map(|d| (d.path, d.class)).collect();
        let expected: Vec<(String, Class)> = expected.iter().map(|(p, c)| (p.to_string(), *c)).collect();
        if found != expected {
            failures.push(format!("{name}:\n  expected {expected:?}\n  found    {found:?}"));
        }
        if fingerprint(&a).schema == fingerprint(&b).schema && expected.iter().any(|(_, c)| *c != Cosmetic) {
            failures.push(format!("{name}: different schemas share a fingerprint"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_same_schema_built_by_two_histories_differs_only_in_cosmetics() {
    let server = common::local_server().await;
    let history_a = "create table old_orders (id serial primary key, total int check (total >= 0), note text);
        create index on old_orders (total);
        create table items (id bigint generated always as identity primary key, order_id int references old_orders (id));
        alter table old_orders rename to orders;";
    let history_b = "create table orders (id serial primary key, note text, total int check (total >= 0));
        create index on orders (total);
        create table items (id bigint generated always as identity primary key, order_id int references orders (id));";
    let (a, b) = (catalog_of(&server, history_a).await, catalog_of(&server, history_b).await);
    let differences = diff(&a, &b);
    assert!(!differences.is_empty(), "the auto-generated names do differ");
    let not_cosmetic: Vec<_> = differences.iter().filter(|d| d.class != Cosmetic).collect();
    assert!(not_cosmetic.is_empty(), "{not_cosmetic:#?}");
    assert!(
        differences.iter().any(|d| d.path == "table public.orders / constraint old_orders_pkey / name" && d.right == "orders_pkey"),
        "{differences:#?}"
    );
    assert_eq!(fingerprint(&a), fingerprint(&b), "equal schemas must share fingerprints");
    assert_eq!(fingerprint(&a), fingerprint(&catalog_of(&server, history_a).await), "fingerprints are stable");
}

#[tokio::test]
async fn a_chain_equals_its_own_pg_dump() {
    let server = common::local_server().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("db/migrations");
    let found = squashmate::migration::discover(&[dir]).unwrap();
    let report = squashmate::replay::replay(&server, &found.files, |_, _| {}).await.unwrap();
    let chain = introspect(&server.connect(&report.database).await.unwrap(), &IntrospectOptions::default()).await.unwrap();
    let (mut pg_dump, _) = server.pg_dump(&report.database).unwrap();
    let out = pg_dump.args(["--schema-only", "--no-owner"]).output().await.unwrap();
    assert!(out.status.success());
    // A newer pg_dump (the only one at hand for some majors) writes settings older servers lack.
    let dump = squashmate::dump::guard_newer_settings(&squashmate::dump::strip_psql_meta_commands(&String::from_utf8_lossy(&out.stdout)));
    let loaded = catalog_of(&server, &dump).await;
    assert_eq!(diff(&chain, &loaded), vec![]);
    assert_eq!(fingerprint(&chain), fingerprint(&loaded));
}

#[tokio::test]
async fn drift_finds_manual_ddl_and_names_it() {
    let server = common::local_server().await;
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("db");
    let url = server.url("live");
    let run =
        |args: &[&str]| common::outcome(common::squashmate().current_dir(example.parent().unwrap()).env("DATABASE_URL", &url).args(args));
    let (code, _, stderr) = run(&["--no-dump-schema", "up"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = run(&["drift", "--pg", "local"]);
    assert_eq!(code, Some(0), "a fresh database has no drift: {stdout}{stderr}");
    let live = server.connect("live").await.unwrap();
    live.batch_execute(
        "alter table users alter column full_name drop not null;
         alter table events drop constraint events_kind_check;
         alter table events add constraint events_kind_check check (kind in ('task.created'));
         alter table tasks add column hotfix_flag boolean;
         insert into schema_migrations values ('20991231000000');",
    )
    .await
    .unwrap();
    let (code, stdout, stderr) = run(&["drift", "--pg", "local"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    for expected in [
        "public.users.full_name: nullability: migrations say not null, database has nullable",
        "table public.events / constraint events_kind_check / definition",
        "public.tasks.hotfix_flag: exists in the database but no migration creates it",
        "ledger 20991231000000: applied, but no migration file has this version",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    let (_, json, _) = run(&["drift", "--pg", "local", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["differences"].as_array().map(Vec::len), Some(3), "{json}");
}

#[tokio::test]
async fn values_are_read_into_their_parts_and_what_uses_what_from_pg_depend() {
    let server = common::local_server().await;
    let catalog = catalog_of(
        &server,
        r#"create table "a, b" (id int);
        create table child (x int) inherits ("a, b");
        create table opts (id int) with (fillfactor = 70);
        create type mood as enum ('ok', 'so, so');
        create function positive(n int) returns boolean language sql immutable as 'select n > 0';
        create domain score as int constraint "in range" check (positive(value) and value < 10) constraint not_five check (value <> 5);
        create sequence counter start 7 increment 3 maxvalue 1000 cycle;
        create function next_id() returns int language sql as 'select 1';
        create table uses_them (id int default next_id(), m mood[], s score, n int generated always as identity (start with 4 increment by 2));
        create view v as select id, m from uses_them;
        create unique index on "a, b" (id);
        create table fk (id int references "a, b" (id));"#,
    )
    .await;
    let object = |path: ObjectPath| catalog.objects.get(&path).unwrap_or_else(|| panic!("{path} read"));
    assert_eq!(object(ObjectPath::top(Kind::Table, "public.child")).items(Prop::Inherits), [r#"public."a, b""#]);
    assert_eq!(object(ObjectPath::top(Kind::Table, "public.opts")).options(Prop::Options), [("fillfactor".to_string(), "70".to_string())]);
    let labels = object(ObjectPath::top(Kind::Enum, "public.mood")).items(Prop::Labels);
    assert_eq!(labels, ["'ok'", "'so, so'"], "a label holding a comma is one label");
    let checks = object(ObjectPath::top(Kind::Domain, "public.score")).items(Prop::Constraints);
    assert_eq!(checks.len(), 2, "a check holding AND is one check: {checks:?}");
    assert!(checks[0].starts_with(r#"CONSTRAINT "in range" CHECK ("#) && checks[0].contains(" AND "), "{checks:?}");
    let (data_type, counter) = object(ObjectPath::top(Kind::Sequence, "public.counter")).sequence().expect("a sequence's options");
    assert_eq!((data_type, counter.start, counter.increment, counter.max, counter.cycle), ("bigint", 7, 3, 1000, true));
    let identity = object(ObjectPath::column("public.uses_them", "n")).identity().expect("an identity");
    assert_eq!((identity.always, identity.sequence.start, identity.sequence.increment), (true, 4, 2));
    let uses = |user: &str, used: &str| catalog.uses.contains(&(user.to_string(), used.to_string()));
    assert!(uses("public.uses_them", "public.next_id"), "a default's function: {:?}", catalog.uses);
    assert!(uses("public.uses_them", "public.mood"), "an array column's element type");
    assert!(uses("public.uses_them", "public.score"));
    assert!(uses("public.score", "public.positive"), "a domain check's function");
    assert!(uses("public.v", "public.uses_them") && uses("public.child", "public.\"a, b\""));
    assert!(!uses("public.next_id", "public.uses_them"), "a function body is not a dependency");
    assert!(!uses("public.fk", "public.\"a, b\""), "a foreign key is made after its table, on its own");
    assert!(catalog.uses.iter().all(|(user, used)| user != used), "no object uses itself");
}

#[tokio::test]
async fn partitions_inheritance_and_privileges_are_compared() {
    let server = common::local_server().await;
    let parted = "create table m (id int, at date) partition by range (at);
        create table m_2024 partition of m for values from ('2024-01-01') to ('2025-01-01');";
    let moved = "create table m (id int, at date) partition by range (at);
        create table m_2024 partition of m for values from ('2024-01-01') to ('2024-07-01');";
    let found: Vec<(String, Class)> =
        diff(&catalog_of(&server, parted).await, &catalog_of(&server, moved).await).into_iter().map(|d| (d.path, d.class)).collect();
    assert_eq!(found, vec![("table public.m_2024 / partition bound".to_string(), NeedsConfirm)]);

    let base = "create table parent (a int); create table child (b int) inherits (parent);";
    let plain = "create table parent (a int); create table child (a int, b int);";
    let found: Vec<String> =
        diff(&catalog_of(&server, base).await, &catalog_of(&server, plain).await).into_iter().map(|d| d.path).collect();
    assert_eq!(found, vec!["table public.child / inherits".to_string()]);

    // Grants only with the privileges option.
    let db_a = server.create_database(None).await.unwrap();
    let db_b = server.create_database(None).await.unwrap();
    let (a, b) = (server.connect(&db_a).await.unwrap(), server.connect(&db_b).await.unwrap());
    a.batch_execute("create table t (x int)").await.unwrap();
    b.batch_execute("do $$ begin create role reader; exception when duplicate_object then null; end $$; create table t (x int); grant select on t to reader;").await.unwrap();
    let without = IntrospectOptions::default();
    assert_eq!(diff(&introspect(&a, &without).await.unwrap(), &introspect(&b, &without).await.unwrap()), vec![]);
    let with = IntrospectOptions { privileges: true, ..IntrospectOptions::default() };
    let found: Vec<String> =
        diff(&introspect(&a, &with).await.unwrap(), &introspect(&b, &with).await.unwrap()).into_iter().map(|d| d.path).collect();
    assert_eq!(found, vec!["grants table public.t".to_string()]);

    // Column grants and function grants too.
    a.batch_execute("create function f() returns int language sql as 'select 1'").await.unwrap();
    b.batch_execute("create function f() returns int language sql as 'select 1'; revoke execute on function f() from public; grant update (x) on t to reader;")
        .await
        .unwrap();
    let found: Vec<String> =
        diff(&introspect(&a, &with).await.unwrap(), &introspect(&b, &with).await.unwrap()).into_iter().map(|d| d.path).collect();
    assert_eq!(
        found,
        vec!["grants column public.t.x".to_string(), "grants function public.f()".to_string(), "grants table public.t".to_string()]
    );
}

#[tokio::test]
async fn drift_reports_a_migration_edited_since_migrations_sum() {
    let server = common::local_server().await;
    let work = tempfile::tempdir().unwrap();
    common::copy_example(work.path());
    let url = server.url("edited");
    let run = |args: &[&str]| common::outcome(common::squashmate().current_dir(work.path()).env("DATABASE_URL", &url).args(args));
    assert_eq!(run(&["hash"]).0, Some(0));
    assert_eq!(run(&["--no-dump-schema", "up"]).0, Some(0));
    let file = work.path().join("db/migrations/20240115140000_add_task_priority.sql");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("BETWEEN 1 AND 5", "BETWEEN 1 AND 9")).unwrap();
    let (code, stdout, stderr) = run(&["drift"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout
            .contains("ledger 20240115140000_add_task_priority.sql: its content (or an earlier file's) changed since the sum was written"),
        "{stdout}"
    );
    assert!(stdout.contains("table public.tasks / constraint tasks_priority_check / definition"), "{stdout}");
}

/// `plan`: the chain in `work/db/migrations` taken to `target` (a schema file); returns
/// (exit code, stdout, stderr).
fn plan_to(work: &std::path::Path, target: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    std::fs::write(work.join("target.sql"), target).unwrap();
    common::outcome(common::squashmate().current_dir(work).args(["plan", "--to", "target.sql", "--pg", "local"]).args(extra))
}

const PLAN_CHAIN: &str = "-- migrate:up
create table tasks (id bigserial primary key, title text not null,
    status text not null constraint tasks_status_check check (status in ('open', 'done')), owner text, legacy text);
create index tasks_title_idx on tasks (title);
insert into tasks (title, status, owner) values ('first', 'open', 'ann');
-- migrate:down
drop table tasks;
";

/// The seed-003 story: a widened CHECK, a column made optional, one made required, a new
/// column, a new index, a new table with keys — written, proven, applied by the real dbmate.
const PLAN_TARGET: &str = "
create table tasks (id bigserial primary key, title text,
    status text not null constraint tasks_status_check check (status in ('open', 'done', 'archived')), owner text not null,
    legacy text, priority int default 0);
create index tasks_status_idx on tasks (status);
create table labels (id serial primary key, name text not null unique, task_id bigint references tasks (id));
comment on table labels is 'Task labels';
";

#[test]
fn plan_writes_a_migration_proven_both_ways_that_dbmate_applies_and_rolls_back() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", PLAN_CHAIN)]);
    let (code, stdout, stderr) = plan_to(work.path(), PLAN_TARGET, &[]);
    assert_eq!(code, Some(1), "a plan with changes: {stdout}{stderr}");
    // Seed 003's order: the old CHECK dropped, the new one added NOT VALID, validated later.
    let at = |needle: &str| stdout.find(needle).unwrap_or_else(|| panic!("missing {needle:?} in:\n{stdout}"));
    assert!(at("DROP CONSTRAINT tasks_status_check") < at("ADD CONSTRAINT tasks_status_check CHECK"));
    assert!(at("'archived'::text]))) NOT VALID") < at("VALIDATE CONSTRAINT tasks_status_check"));
    assert!(stdout.contains("CREATE INDEX CONCURRENTLY tasks_status_idx ON public.tasks"), "{stdout}");
    assert!(stdout.contains("ALTER COLUMN owner SET NOT NULL") && stdout.contains("CHECK (owner IS NOT NULL) NOT VALID"), "{stdout}");
    assert!(stdout.contains("[safe] table public.tasks / column title / nullability"), "{stdout}");
    assert!(stdout.contains("0 destructive, 0 difference(s) not planned"), "{stdout}");
    assert!(!work.path().join("db/migrations").read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("widen")));

    std::fs::create_dir_all(work.path().join("before")).unwrap();
    std::fs::copy(work.path().join("db/migrations/20240101000000_init.sql"), work.path().join("before/20240101000000_init.sql")).unwrap();
    let (code, _, stderr) = plan_to(work.path(), PLAN_TARGET, &["--write", "widen_tasks"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("source + up ≡ target, source + up + down ≡ source. Wrote 3 file(s)"), "{stderr}");
    let mut written: Vec<String> = std::fs::read_dir(work.path().join("db/migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("_widen_tasks"))
        .collect();
    written.sort();
    let suffixes: Vec<&str> = written.iter().map(|n| &n[14..]).collect();
    // One block per file: dbmate records a version once per block.
    assert_eq!(suffixes, ["_widen_tasks.sql", "_widen_tasks_validate.sql", "_widen_tasks_index_tasks_status_idx.sql"]);
    let index_file = std::fs::read_to_string(work.path().join("db/migrations").join(&written[2])).unwrap();
    assert!(
        index_file.starts_with("-- migrate:up transaction:false\n-- [safe] table public.tasks / index tasks_status_idx"),
        "{index_file}"
    );
    assert!(
        index_file.contains(
            "-- migrate:down\nSET LOCAL lock_timeout = '5s';\nSET LOCAL statement_timeout = '1min';\nDROP INDEX public.tasks_status_idx;"
        ),
        "{index_file}"
    );
    assert_eq!(common::run(work.path(), &["lint"]).status.code(), Some(0), "the written files lint clean");

    // The real dbmate applies the chain with the new files, and rolls them back.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::local_server());
    let url = server.url("planned");
    let dbmate = |args: &[&str]| {
        let out = common::dbmate().current_dir(work.path()).args(["--no-dump-schema", "-u", &url]).args(args).output().unwrap();
        assert!(out.status.success(), "dbmate {args:?}: {}", common::all_output(&out));
    };
    let diff_with =
        |other: &str| common::outcome(common::squashmate().current_dir(work.path()).args(["diff", "--pg", "local", &url, other]));
    dbmate(&["up"]);
    let (code, stdout, stderr) = diff_with("target.sql");
    assert_eq!(code, Some(0), "the database is the target now: {stdout}{stderr}");
    for _ in 0..3 {
        dbmate(&["rollback"]);
    }
    let (code, stdout, stderr) = diff_with("before");
    assert_eq!(code, Some(0), "rolled back to the source: {stdout}{stderr}");
}

#[test]
fn plan_refuses_to_lose_data_and_a_rename_keeps_it() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", PLAN_CHAIN)]);
    let renamed = "create table tasks (id bigserial primary key, title text not null,
        status text not null constraint tasks_status_check check (status in ('open', 'done')), owner text, notes text);";
    let (code, stdout, stderr) = plan_to(work.path(), renamed, &["--write", "notes"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("1 step(s) lose data; nothing was written") && stderr.contains("DROP COLUMN legacy"), "{stderr}");
    assert!(stderr.contains("--rename schema.table.old=new"), "{stderr}");
    assert!(stdout.contains("[destructive] table public.tasks / column legacy: gone"), "{stdout}");
    assert_eq!(std::fs::read_dir(work.path().join("db/migrations")).unwrap().count(), 1, "nothing written");

    let (code, stdout, stderr) = plan_to(work.path(), renamed, &["--rename", "public.tasks.legacy=notes", "--write", "notes"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("ALTER TABLE public.tasks RENAME COLUMN legacy TO notes") && !stdout.contains("DROP COLUMN"), "{stdout}");
    assert!(stderr.contains("source + up + down ≡ source"), "{stderr}");
}

#[test]
fn plan_says_nothing_to_do_and_refuses_what_it_cannot_write() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", PLAN_CHAIN)]);
    let (code, stdout, stderr) =
        common::outcome(common::squashmate().current_dir(work.path()).args(["plan", "--pg", "local", "--to", "db/migrations"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("Nothing to do"), "{stderr}");
    // An enum recreated (labels reordered) while a composite type uses it is not planned.
    let chain = "-- migrate:up\ncreate type mood as enum ('a', 'b');\ncreate type pair as (m mood, n int);\n-- migrate:down\n";
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", chain)]);
    let target = "create type mood as enum ('b', 'a'); create type pair as (m mood, n int);";
    let (code, stdout, stderr) = plan_to(work.path(), target, &["--write", "mood", "--allow-destructive"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("NOT PLANNED: enum public.mood: used by composite type public.pair / column m"), "{stdout}");
    assert!(stderr.contains("does not cover every difference"), "{stderr}");
    assert_eq!(std::fs::read_dir(work.path().join("db/migrations")).unwrap().count(), 1, "nothing written");
}

/// `--format sql` never hides what it did not plan: the script names each difference it leaves
/// and raises before it changes anything (run as printed, with `psql -v ON_ERROR_STOP=1`), and
/// the exit is 2; `--allow-partial` prints the rest as a script that runs, exit 2 all the same.
#[tokio::test]
async fn a_printed_script_with_differences_not_planned_fails_and_changes_nothing() {
    let work = common::open_tempdir();
    let chain = "-- migrate:up\ncreate type mood as enum ('a', 'b');\ncreate type pair as (m mood, n int);\ncreate table t (id int);\n-- migrate:down\n";
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", chain)]);
    std::fs::write(
        work.path().join("target.sql"),
        "create type mood as enum ('b', 'a'); create type pair as (m mood, n int); create table t (id int, extra text);",
    )
    .unwrap();
    let server = common::local_server().await;
    let url = server.url("partial");
    let dir = work.path().to_path_buf();
    let run = |args: Vec<String>| {
        let dir = dir.clone();
        async move { tokio::task::spawn_blocking(move || common::outcome(common::squashmate().current_dir(&dir).args(args))).await.unwrap() }
    };
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (code, _, stderr) = run(args(&["-u", &url, "--no-dump-schema", "up"])).await;
    assert_eq!(code, Some(0), "{stderr}");
    let plan = ["plan", "--pg", "local", "--from", &url, "--to", "target.sql", "--format", "sql"];
    let psql = |script: &str| {
        std::process::Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c", script]).output().unwrap()
    };
    let has_extra = || async {
        let client = server.connect("partial").await.unwrap();
        let row = client
            .query_one("select count(*) from information_schema.columns where table_name = 't' and column_name = 'extra'", &[])
            .await
            .unwrap();
        row.get::<_, i64>(0) == 1
    };

    let (code, script, stderr) = run(args(&plan)).await;
    assert_eq!(code, Some(2), "{script}{stderr}");
    assert!(stderr.contains("Refused: the plan does not cover every difference (1 NOT PLANNED"), "{stderr}");
    assert!(script.starts_with("-- NOT PLANNED: enum public.mood: used by composite type public.pair / column m,"), "{script}");
    assert!(script.lines().nth(1).is_some_and(|l| l.starts_with("DO $raise$ BEGIN RAISE EXCEPTION")), "raises first: {script}");
    // As printed it runs (a transaction per block, the preamble --write uses) but stops first.
    assert!(script.contains("BEGIN;\nSET LOCAL lock_timeout = '5s';") && script.contains("ADD COLUMN extra text"), "{script}");
    let out = psql(&script);
    assert!(!out.status.success(), "the script must fail: {}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 difference(s) NOT PLANNED"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!has_extra().await, "nothing changed");

    let (code, script, stderr) = run(args(&[&plan[..], &["--allow-partial"]].concat())).await;
    assert_eq!(code, Some(2), "{script}{stderr}");
    assert!(script.contains("-- NOT PLANNED: enum public.mood") && !script.contains("RAISE"), "{script}");
    let out = psql(&script);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(has_extra().await, "the planned part ran");
    let (code, _, stderr) = run(args(&plan)).await;
    assert_eq!(code, Some(2), "what was not planned still is not: {stderr}");
}

/// Seed 000's dev loop: the declared schema loosened, applied to a live database (after the
/// proof on a copy of its schema), no ledger row recorded; `--only safe` refuses the rest.
#[tokio::test]
async fn plan_applies_a_loosening_to_a_live_database_and_only_safe_refuses_the_rest() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", PLAN_CHAIN)]);
    let server = common::local_server().await;
    let url = server.url("dev");
    let dir = work.path().to_path_buf();
    let run = move |args: Vec<String>| {
        let dir = dir.clone();
        async move { tokio::task::spawn_blocking(move || common::outcome(common::squashmate().current_dir(&dir).args(args))).await.unwrap() }
    };
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (code, _, stderr) = run(args(&["-u", &url, "--no-dump-schema", "up"])).await;
    assert_eq!(code, Some(0), "{stderr}");
    let loosened = "create table tasks (id bigserial primary key, title text,
        status text not null constraint tasks_status_check check (status in ('open', 'done')), owner text, legacy text, priority int);
        create index tasks_title_idx on tasks (title);
        create index tasks_owner_idx on tasks (owner);";
    std::fs::write(work.path().join("loose.sql"), loosened).unwrap();
    std::fs::write(work.path().join("target.sql"), PLAN_TARGET).unwrap();
    let (code, stdout, stderr) =
        run(args(&["plan", "--pg", "local", "--from", &url, "--to", "target.sql", "--only", "safe", "--apply"])).await;
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("Refused (--only safe)")
            && stderr.contains("[needs-confirm] ALTER TABLE public.tasks VALIDATE CONSTRAINT tasks_status_check"),
        "{stderr}"
    );
    let (code, stdout, _) = run(args(&["diff", "--pg", "local", &url, "db/migrations"])).await;
    assert_eq!(code, Some(0), "the refusal changed nothing: {stdout}");

    let (code, stdout, stderr) =
        run(args(&["plan", "--pg", "local", "--from", &url, "--to", "loose.sql", "--only", "safe", "--apply"])).await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("Applied 3 statement(s)") && stderr.contains("no ledger row was recorded"), "{stderr}");
    let (code, stdout, stderr) = run(args(&["diff", "--pg", "local", &url, "loose.sql"])).await;
    assert_eq!(code, Some(0), "the live database has the declared schema: {stdout}{stderr}");
    let client = server.connect("dev").await.unwrap();
    let rows: i64 = client.query_one("select count(*) from schema_migrations", &[]).await.unwrap().get(0);
    assert_eq!(rows, 1, "the ledger is unchanged");
    let kept: i64 = client.query_one("select count(*) from tasks", &[]).await.unwrap().get(0);
    assert_eq!(kept, 1, "the rows are kept");
    let (code, _, stderr) = run(args(&["plan", "--pg", "local", "--from", &url, "--to", "loose.sql"])).await;
    assert_eq!(code, Some(0), "nothing left to do: {stderr}");

    // Seed 000: a column made NOT NULL by hand on a database of the chain; planning to the
    // chain relaxes it, and drift is clean again.
    let (code, _, stderr) = run(args(&["-u", &server.url("hand"), "--no-dump-schema", "up"])).await;
    assert_eq!(code, Some(0), "{stderr}");
    server.connect("hand").await.unwrap().batch_execute("alter table tasks alter column owner set not null").await.unwrap();
    let hand = server.url("hand");
    let (code, stdout, _) = run(args(&["-u", &hand, "drift", "--pg", "local"])).await;
    assert_eq!(code, Some(1), "the hand-made change is drift: {stdout}");
    let (code, stdout, stderr) =
        run(args(&["plan", "--pg", "local", "--from", &hand, "--to", "db/migrations", "--apply", "--only", "safe"])).await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("ALTER TABLE public.tasks ALTER COLUMN owner DROP NOT NULL"), "{stdout}");
    let (code, stdout, stderr) = run(args(&["-u", &hand, "drift", "--pg", "local"])).await;
    assert_eq!(code, Some(0), "drift is clean after the plan: {stdout}{stderr}");
}

/// Each kind the planner writes, proven on a real server both ways (the proof is the oracle:
/// a wrong statement leaves a difference or fails).
#[test]
fn plan_covers_domains_sequences_identity_persistence_and_views_proven_both_ways() {
    let work = common::open_tempdir();
    let chain = "-- migrate:up
create sequence counter increment by 1;
create table events (id int not null, kind text);
create table scratch (id int);
create table counters (n int);
create table parts (at date not null) partition by range (at);
create table tuned (a int) with (fillfactor = 70);
create materialized view kinds as select distinct kind from events;
create view recent as select id from events;
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
-- migrate:down
";
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", chain)]);
    let target = "
create domain positive as int check (value > 0) check (value < 1000000);
create sequence counter increment by 5 maxvalue 1000;
create table events (id int generated by default as identity, kind text, size positive);
alter table events replica identity full;
create unlogged table scratch (id int);
create table counters (n int generated always as identity);
create table parts (at date not null) partition by range (at);
create table parts_2024 partition of parts for values from ('2024-01-01') to ('2025-01-01');
create table tuned (a int) with (fillfactor = 80, autovacuum_enabled = false);
create table tuned_child (b int) inherits (tuned);
create materialized view kinds as select distinct kind, count(*) as n from events group by kind;
create view recent as select id, kind from events;
create function touch() returns trigger language plpgsql as $$ begin new.kind := coalesce(new.kind, 'x'); return new; end $$;
create trigger events_touch before insert on events for each row execute function touch();
comment on column events.kind is 'What happened';
";
    let (code, stdout, stderr) = plan_to(work.path(), target, &["--write", "kinds"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("source + up + down ≡ source"), "{stderr}");
    for expected in [
        "CREATE DOMAIN public.positive AS integer CONSTRAINT positive_check CHECK ((VALUE > 0)) CONSTRAINT positive_check1 CHECK ((VALUE < 1000000))",
        "ALTER SEQUENCE public.counter AS bigint START WITH 1 INCREMENT 5",
        "ALTER TABLE public.events ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY",
        "ALTER TABLE public.events REPLICA IDENTITY FULL",
        "ALTER TABLE public.scratch SET UNLOGGED",
        "ALTER TABLE public.counters ALTER COLUMN n SET NOT NULL",
        "CREATE TABLE public.parts_2024 PARTITION OF public.parts FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "ALTER TABLE public.tuned SET (",
        "INHERITS (public.tuned)",
        "ALTER TABLE public.counters ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY",
        "DROP MATERIALIZED VIEW public.kinds",
        "CREATE OR REPLACE VIEW public.recent AS",
        "CREATE TRIGGER events_touch BEFORE INSERT ON public.events",
        "COMMENT ON COLUMN public.events.kind IS 'What happened'",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
}

/// Only the ledger dbmate would use is left out: a table of the same name in another schema is
/// the application's, and a difference there is reported.
#[tokio::test]
async fn a_table_named_like_the_ledger_in_another_schema_is_compared() {
    let server = common::local_server().await;
    let ledger_only = catalog_of(&server, "create table schema_migrations (version varchar primary key);").await;
    let with_app = catalog_of(
        &server,
        "create table schema_migrations (version varchar primary key); create schema app; create table app.schema_migrations (id int);",
    )
    .await;
    let found: Vec<String> = diff(&ledger_only, &with_app).into_iter().map(|d| d.path).collect();
    assert!(found.contains(&"table app.schema_migrations".to_string()), "{found:?}");
    assert!(!found.iter().any(|p| p.contains("public.schema_migrations")), "{found:?}");
}

/// Every drift case is also a planning case: a chain holding the base, `plan --to changed.sql
/// --write x --allow-destructive`, then the real dbmate applies the directory on a fresh
/// database, which must equal the changed schema loaded directly, and rolls it all back to the
/// base. Cases a catalog update makes (no DDL can) are left out.
#[test]
fn every_drift_case_is_planned_applied_by_dbmate_and_rolled_back() {
    let planable: Vec<&Case> = CASES
        .iter()
        .filter(|(_, _, changed, expected)| !changed.contains("update pg_") && expected.iter().any(|(_, class)| *class != Cosmetic))
        .collect();
    assert!(planable.len() >= 40, "at least 40 planning cases, have {}", planable.len());
    let bench = common::planned::Bench::start();
    let results =
        common::planned::on_two_threads(&planable, |i, (name, base, changed, _)| bench.plan_case(&i.to_string(), name, base, changed, &[]));
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        planable.len(),
        failures.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("\n\n")
    );
    let compared = results.iter().flatten().filter(|held| held.dump_compared).count();
    eprintln!("pg_dump --schema-only text equal in {compared} of {} cases (the others differ only cosmetically)", planable.len());
    assert!(compared >= planable.len() / 2, "only {compared} cases compared as pg_dump text");
}

/// Seed 003: the CHECK list renamed, planned as drop + add NOT VALID + validate; on a database
/// holding rows the new list forbids, applying stops loudly at the validation (file and line,
/// that file not recorded), never "completed successfully".
#[tokio::test]
async fn a_renamed_check_list_is_named_by_check_before_anything_runs_and_up_stops_before_the_old_one_goes() {
    let work = common::open_tempdir();
    let without_rows = PLAN_CHAIN.replace("insert into tasks (title, status, owner) values ('first', 'open', 'ann');\n", "");
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", &without_rows)]);
    let renamed = PLAN_CHAIN
        .replace("-- migrate:up\n", "")
        .replace("-- migrate:down\ndrop table tasks;\n", "")
        .replace("insert into tasks (title, status, owner) values ('first', 'open', 'ann');\n", "")
        .replace("('open', 'done')", "('todo', 'done')");
    let dir = work.path().to_path_buf();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || plan_to(&dir, &renamed, &["--write", "rename_open"])).await.unwrap();
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let at = |needle: &str| stdout.find(needle).unwrap_or_else(|| panic!("missing {needle:?} in:\n{stdout}"));
    assert!(at("DROP CONSTRAINT tasks_status_check") < at("'done'::text]))) NOT VALID"));
    assert!(at("NOT VALID") < at("VALIDATE CONSTRAINT tasks_status_check"));
    // A row written before the change ('open') violates the new list: `up` stops at the validation.
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240601000000_a_row.sql",
            "-- migrate:up\ninsert into tasks (title, status, owner) values ('first', 'open', 'ann');\n-- migrate:down\n",
        )],
    );
    let server = common::local_server().await;
    let url = server.url("violating");
    let dir = work.path().to_path_buf();
    // A database holding an old kind, both planned files pending: `check` names the row
    // before anything runs (the validation checked by the definition the main file gives).
    let init_and_row = work.path().join("before");
    std::fs::create_dir_all(&init_and_row).unwrap();
    for name in ["20240101000000_init.sql", "20240601000000_a_row.sql"] {
        std::fs::copy(work.path().join("db/migrations").join(name), init_and_row.join(name)).unwrap();
    }
    let (check, out) = tokio::task::spawn_blocking({
        let (dir, url) = (dir.clone(), url.clone());
        move || {
            let applied =
                common::outcome(common::squashmate().current_dir(&dir).args(["-u", &url, "--no-dump-schema", "-d", "before", "up"]));
            assert_eq!(applied.0, Some(0), "{applied:?}");
            let check = common::outcome(common::squashmate().current_dir(&dir).args(["-u", &url, "check"]));
            (check, common::outcome(common::squashmate().current_dir(&dir).args(["-u", &url, "--no-dump-schema", "up"])))
        }
    })
    .await
    .unwrap();
    assert_eq!(check.0, Some(1), "{check:?}");
    // The check plan wrote into the main file, and the validation's own, both name the row.
    let declared = "_rename_open.sql:2:1: check tasks_status_check failed: 1 row(s) — the rows of: SELECT t.* FROM public.tasks AS t WHERE NOT (status = ANY(ARRAY['todo'::text, 'done'::text])); first: (1,first,open,ann,)";
    let validation = "check validate:public.tasks.tasks_status_check failed: 1 row(s) — rows of public.tasks that constraint tasks_status_check rejects; first: 1";
    assert!(check.1.contains(declared) && check.1.contains(validation), "{}", check.1);
    let (code, stdout, stderr) = out;
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    // `up` stops at the main file with the same words, before the old constraint is dropped.
    assert!(stderr.contains(declared) && stderr.contains("nothing of this file ran"), "{stderr}");
    assert!(!stdout.contains("Applied: ") || !stdout.contains("_rename_open_validate.sql in"), "{stdout}");
    let client = server.connect("violating").await.unwrap();
    let recorded: Vec<String> =
        client.query("select version from schema_migrations order by 1", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(recorded.len(), 2, "the init and the row are recorded, neither planned file is: {recorded:?}");
    let kept: String = client
        .query_one("select pg_get_constraintdef(oid) from pg_constraint where conname = 'tasks_status_check'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(kept.contains("'open'"), "the old list is still in place: {kept}");
}

#[test]
fn plan_refuses_bad_sources_and_a_plan_that_does_not_prove() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", PLAN_CHAIN)]);
    let plan = |args: &[&str]| common::outcome(common::squashmate().current_dir(work.path()).args(["plan", "--pg", "local"]).args(args));
    let (code, _, stderr) = plan(&["--to", "nowhere.sql"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("`nowhere.sql` is not a postgres:// URL, a migrations directory or a schema .sql file"), "{stderr}");
    let (code, _, stderr) = plan(&["--to", "postgres://nobody:secret@127.0.0.1:9/none"]);
    assert_eq!(code, Some(2));
    assert!(!stderr.contains("secret") && stderr.contains("127.0.0.1:9"), "{stderr}");
    std::fs::write(work.path().join("broken.sql"), "create table t (a int;").unwrap();
    let (code, _, stderr) = plan(&["--to", "broken.sql"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("broken.sql") && stderr.contains("syntax error"), "{stderr}");
    // PostgreSQL refuses to change the type of a column a policy uses, which the plan does not
    // know: the proof catches it.
    let chain = "-- migrate:up\ncreate table t (a int);\nalter table t enable row level security;\ncreate policy p on t using (a > 0);\n-- migrate:down\n";
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_init.sql", chain)]);
    std::fs::write(
        work.path().join("target.sql"),
        "create table t (a bigint); alter table t enable row level security; create policy p on t using (a > 0);",
    )
    .unwrap();
    let (code, stdout, stderr) = plan(&["--to", "target.sql", "--write", "policy"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("Refused: the plan does not prove; nothing was written."), "{stderr}");
    assert_eq!(std::fs::read_dir(work.path().join("db/migrations")).unwrap().count(), 1, "nothing written");
}

/// `--privileges`: grants on tables, columns, schemas and functions, and default privileges,
/// planned as GRANT/REVOKE and ALTER DEFAULT PRIVILEGES,
/// proven (the roles made on the throwaway server), applied by the real dbmate where the roles
/// exist, and rolled back.
#[test]
fn plan_grants_with_privileges_proven_applied_by_dbmate_and_rolled_back() {
    let base = "create schema app; create table app.t (a int, b int);
        create function app.f() returns int language sql as 'select 1';
        grant select on app.t to app_reader; revoke execute on function app.f() from public;";
    let target = "create schema app; create table app.t (a int, b int);
        create function app.f() returns int language sql as 'select 1';
        grant usage on schema app to app_reader; grant select, insert on app.t to app_reader;
        grant update (b) on app.t to app_writer; revoke execute on function app.f() from public;
        grant execute on function app.f() to app_writer;
        alter default privileges in schema app grant select on tables to app_reader;
        alter default privileges revoke execute on functions from public;";
    let work = common::open_tempdir();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[("20240101000000_base.sql", &format!("-- migrate:up\n{base}\n-- migrate:down\n"))],
    );
    std::fs::write(work.path().join("base.sql"), base).unwrap();
    let (code, stdout, stderr) = plan_to(work.path(), target, &["--privileges"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    for expected in [
        "GRANT USAGE ON SCHEMA app TO app_reader",
        "GRANT INSERT ON TABLE app.t TO app_reader",
        "GRANT UPDATE (b) ON TABLE app.t TO app_writer",
        "GRANT EXECUTE ON FUNCTION app.f() TO app_writer",
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA app GRANT SELECT ON TABLES TO app_reader",
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC",
    ] {
        assert!(stdout.contains(expected), "{expected}:\n{stdout}");
    }
    let (code, stdout, _) = plan_to(work.path(), target, &[]);
    assert_eq!(code, Some(0), "without --privileges grants are not compared:\n{stdout}");
    let (code, stdout, stderr) = plan_to(work.path(), target, &["--privileges", "--write", "grants"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("Proven on PostgreSQL"), "{stderr}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::local_server());
    let admin = server.url("postgres");
    runtime.block_on(async {
        let client = server.connect("postgres").await.unwrap();
        client.batch_execute("create role app_reader; create role app_writer;").await.unwrap();
    });
    let url = server.url("granted");
    let dbmate =
        |args: &[&str]| common::dbmate().current_dir(work.path()).args(["--no-dump-schema", "-u", &url]).args(args).output().unwrap();
    let compare = |with: &str| {
        common::outcome(common::squashmate().current_dir(work.path()).args([
            "diff",
            "--privileges",
            "--ignore",
            "cosmetic",
            &url,
            with,
            "--pg",
            "url",
            "--pg-url",
            &admin,
        ]))
    };
    let up = dbmate(&["up"]);
    assert!(up.status.success(), "{}", common::all_output(&up));
    let (code, stdout, stderr) = compare("target.sql");
    assert_eq!(code, Some(0), "after dbmate up, the target's grants:\n{stdout}{stderr}");
    let down = dbmate(&["rollback"]);
    assert!(down.status.success(), "{}", common::all_output(&down));
    let (code, stdout, stderr) = compare("base.sql");
    assert_eq!(code, Some(0), "after dbmate rollback, the base's grants:\n{stdout}{stderr}");
}
