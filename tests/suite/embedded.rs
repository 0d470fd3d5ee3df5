//! The library API for embedded boot: migrations compiled into the binary, applied by several
//! tasks at once with the same lock and errors as the command line.

use crate::common;

use include_dir::{Dir, include_dir};
use squashmate::ledger::{MigrateError, Migrator};

static EXAMPLE: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/db/migrations");

#[tokio::test]
async fn embedded_migrations_boot_many_tasks_at_once() {
    let server = common::local_server().await;
    let db = server.create_database(None).await.unwrap();
    let url = server.url(&db);
    let migrator = Migrator::from_embedded(&EXAMPLE).unwrap();
    assert_eq!(migrator.files().len(), 30);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (migrator, url) = (migrator.clone(), url.clone());
            tokio::spawn(async move { migrator.up_url(&url, &mut |_| {}).await.map(|applied| applied.len()) })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap().unwrap();
    }
    assert_eq!(total, 30, "each migration applied exactly once across the tasks");
    let status = migrator.status(&server.connect(&db).await.unwrap()).await.unwrap();
    assert_eq!((status.applied_count(), status.pending().count()), (30, 0));
}

#[tokio::test]
async fn a_boot_failure_names_the_file_and_line_without_the_password() {
    let server = common::local_server().await;
    let db = server.create_database(None).await.unwrap();
    let client = server.connect(&db).await.unwrap();
    client.batch_execute("create role app login password 'hunter2'; grant all on schema public to app").await.unwrap();
    let migrator = Migrator::from_sources([
        ("1_ok.sql".into(), "-- migrate:up\ncreate table ok (a int);\n-- migrate:down\n".to_string()),
        (
            "2_bad.sql".into(),
            "-- migrate:up\n\ncreate table bad (a int);\nalter table bad add column a int;\n-- migrate:down\n".to_string(),
        ),
    ])
    .unwrap();
    let info = server.connect_info();
    let url = format!("postgres://app:hunter2@{}:{}/{db}?sslmode=disable", info.host, info.port);
    let err = migrator.up_url(&url, &mut |_| {}).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("2_bad.sql:4:1"), "{text}");
    assert!(text.contains("column \"a\" of relation \"bad\" already exists"), "{text}");
    assert!(matches!(&err, MigrateError::Migration { done, .. } if done == &["1_ok.sql"]), "{err:?}");

    // A connection failure names the database with the password hidden.
    let wrong = format!("postgres://app:hunter2@{}:{}/no_such_db?sslmode=disable", info.host, info.port);
    let err = migrator.up_url(&wrong, &mut |_| {}).await.unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("no_such_db"), "{err}");
    assert!(err.contains("********"), "{err}");
}

#[tokio::test]
async fn files_with_problems_are_refused_before_touching_a_database() {
    // Files are read as dbmate reads them: each is checked when it is about to run.
    let migrator = Migrator::from_sources([("1_x.sql".into(), "-- migrate:up\nselec 1;\n".to_string())]).unwrap();
    let server = common::local_server().await;
    let db = server.create_database(None).await.unwrap();
    let err = migrator.up_url(&server.url(&db), &mut |_| {}).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("problem(s) in the migration files stop this command, nothing was run"), "{text}");
    assert!(text.contains("1_x.sql"), "{text}");
    let client = server.connect(&db).await.unwrap();
    let ledger = client.query_one("select to_regclass('public.schema_migrations') is null", &[]).await.unwrap();
    assert!(ledger.get::<_, bool>(0), "not even the ledger table was created");

    // The first file is sent while the later ones are checked: a problem in the second still
    // means nothing of the first is committed.
    let migrator = Migrator::from_sources([
        ("1_ok.sql".into(), "-- migrate:up\ncreate table ok (a int);\n-- migrate:down\n".to_string()),
        ("2_bad.sql".into(), "-- migrate:up\nselect 1;\n-- migrate:down\n-- migrate:down\n".to_string()),
    ])
    .unwrap();
    let err = migrator.up_url(&server.url(&db), &mut |_| {}).await.unwrap_err().to_string();
    assert!(err.contains("2_bad.sql:4:1"), "{err}");
    let row =
        client.query_one("select to_regclass('public.ok') is null and to_regclass('public.schema_migrations') is null", &[]).await.unwrap();
    assert!(row.get::<_, bool>(0), "the first file was not committed, nor the ledger created");

    // A first file the server refuses is located to its statement; nothing is recorded.
    let migrator = Migrator::from_sources([(
        "1_twice.sql".into(),
        "-- migrate:up\ncreate table twice (a int);\ncreate table twice (a int);\n-- migrate:down\n".to_string(),
    )])
    .unwrap();
    let err = migrator.up_url(&server.url(&db), &mut |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("1_twice.sql:3:1"), "{err}");
    assert!(matches!(&err, MigrateError::Migration { done, .. } if done.is_empty()), "{err:?}");
    let row = client
        .query_one("select to_regclass('public.twice') is null and to_regclass('public.schema_migrations') is null", &[])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
}

/// The example service depends on squashmate as services do (`default-features = false`): it
/// builds that way, boots a fresh database, finds nothing to do on its second boot, and names
/// the missing `tls` feature when its URL asks for TLS.
#[tokio::test]
async fn the_example_service_boots_with_the_lean_library() {
    let server = common::local_server().await;
    let db = server.create_database(None).await.unwrap();
    let boot = |url: &str| {
        common::outcome(
            std::process::Command::new(env!("CARGO"))
                .args(["run", "--quiet", "-p", "embedded-boot"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env("DATABASE_URL", url),
        )
    };
    let url = server.url(&db);
    let (code, stdout, stderr) = boot(&url);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("30 migration(s) applied at boot"), "{stdout}");
    let (code, stdout, stderr) = boot(&url);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("0 migration(s) applied at boot"), "{stdout}");

    let tls = url.replace("sslmode=disable", "sslmode=require");
    assert_ne!(tls, url, "the harness URL names its sslmode");
    let (code, _, stderr) = boot(&tls);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("built without its `tls` feature"), "{stderr}");
}

/// What a service compiles when it embeds the library: few crates, none of the command line's
/// or Docker's.
#[test]
fn the_library_without_default_features_stays_lean() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--quiet", "-e", "normal", "--no-default-features", "--prefix", "none", "-p", "squashmate"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let crates: std::collections::BTreeSet<String> =
        String::from_utf8(out.stdout).unwrap().lines().filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect();
    assert!(crates.len() <= 90, "{} crates: {crates:?}", crates.len());
    for heavy in ["clap", "testcontainers", "bollard", "axum", "tonic", "url", "native-tls"] {
        assert!(!crates.contains(heavy), "{heavy} in the lean library");
    }
}
