//! Chains shaped by their platform, judged by the real dbmate: a Supabase-shaped chain whose
//! tables reference a setup-made `auth` schema squashes, and dbmate building the old chain and
//! the baseline after the same setup gives equal `pg_dump` text; a migration that really alters
//! a setup object is refused naming its file and line; a grant on the ledger table survives the
//! squash on a fresh baseline and on production.

use std::path::Path;
use std::process::Command;

use crate::common;
use crate::squash::{DATE, plan, squash};
use squashmate::server::EphemeralServer;

const AUTH_SETUP: &str = "create schema auth;
create table auth.users (id uuid primary key, email text);
create function auth.uid() returns uuid language sql stable as $$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
create role authenticated nologin;
create schema vault;
create table vault.secrets (id uuid primary key, secret text);
";

const PROFILES: &str = "-- migrate:up
create role reader nologin;
grant select on schema_migrations to reader;
create table profiles (id uuid primary key references auth.users (id) on delete cascade, owner uuid default auth.uid(), name text);
alter table profiles enable row level security;
create policy own_profile on profiles to authenticated using (owner = auth.uid());
grant usage on schema auth to authenticated;
grant select, update on profiles to authenticated;
create table zz_notes (id bigserial primary key, profile_id uuid references profiles, secret_id uuid references vault.secrets);
create table legacy_sessions (id bigserial primary key, user_id uuid references auth.users);
-- migrate:down
";

/// A database the real dbmate built from `dir` after the setup ran in it.
async fn built_by_dbmate(server: &EphemeralServer, dir: &Path, setup: &Path) -> String {
    let db = server.create_database(None).await.unwrap();
    let out = Command::new("psql").args(["-X", "-q", "-f"]).arg(setup).arg(server.url(&db)).output().unwrap();
    // The roles exist once per server: a second run of the setup may only fail on those.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() || stderr.lines().all(|l| l.contains("already exists") || l.trim().is_empty()), "{stderr}");
    let out = common::dbmate().args(["--no-dump-schema", "-d"]).arg(dir).args(["-u", &server.url(&db), "up"]).output().unwrap();
    assert!(out.status.success(), "dbmate up: {}", String::from_utf8_lossy(&out.stderr));
    db
}

/// `pg_dump --schema-only` (privileges and owners) of `db`, without pg_dump's random keys.
fn schema_dump(server: &EphemeralServer, db: &str) -> String {
    let out = Command::new("pg_dump").args(["--schema-only", "--no-comments"]).arg(server.url(db)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_supabase_shaped_chain_squashes_and_dbmate_builds_the_same_database_from_either() {
    let work = common::open_tempdir();
    common::write_migrations(&work.path().join("db/migrations"), &[("20240101000000_profiles.sql", PROFILES)]);
    std::fs::create_dir_all(work.path().join("db/setup")).unwrap();
    let setup = work.path().join("db/setup/auth.sql");
    std::fs::write(&setup, AUTH_SETUP).unwrap();
    let old = work.path().join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(work.path().join("db/migrations/20240101000000_profiles.sql"), old.join("20240101000000_profiles.sql")).unwrap();
    plan(work.path(), "setup = [\"db/setup/auth.sql\"]\n[retire]\ntables = [\"public.legacy_sessions\"]\n");
    let dir = work.path().to_path_buf();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || squash(&dir, &[])).await.unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let baseline = std::fs::read_to_string(work.path().join("db/migrations/00000000000000_baseline.sql")).unwrap();
    for setup_made in
        ["CREATE SCHEMA auth", "CREATE TABLE auth.users", "CREATE FUNCTION auth.uid", "CREATE SCHEMA vault", "CREATE TABLE vault.secrets"]
    {
        assert!(!baseline.contains(setup_made), "the baseline holds the setup's `{setup_made}`:\n{baseline}");
    }
    assert!(baseline.contains("GRANT SELECT ON TABLE public.schema_migrations TO reader;"), "{baseline}");

    let server = common::local_server().await;
    let production = built_by_dbmate(&server, &old, &setup).await;
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(work.path().join(format!("db/squash/{DATE}/surgery.sql")))
        .arg(server.url(&production))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fresh = built_by_dbmate(&server, &work.path().join("db/migrations"), &setup).await;
    let backup = format!("squashmate_backup_{DATE}");
    let production_dump: String = schema_dump(&server, &production)
        .split("\n\n")
        .filter(|part| !part.contains(&backup) && !part.contains("squashmate_record"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let fresh_dump = schema_dump(&server, &fresh);
    assert_eq!(
        production_dump.replace("\n\n\n", "\n\n"),
        fresh_dump.replace("\n\n\n", "\n\n"),
        "old chain + surgery and fresh baseline differ"
    );
    for db in [&production, &fresh] {
        let granted: bool = server
            .connect(db)
            .await
            .unwrap()
            .query_one("SELECT has_table_privilege('reader', 'public.schema_migrations', 'SELECT')", &[])
            .await
            .unwrap()
            .get(0);
        assert!(granted, "the ledger grant is missing on {db}");
    }
}

#[test]
fn a_migration_that_alters_a_setup_object_is_refused_naming_its_file_and_line() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_users.sql",
            "-- migrate:up\ncreate table profiles (id uuid primary key references auth.users (id));\n\nalter table auth.users add column nickname text;\n-- migrate:down\n",
        )],
    );
    std::fs::create_dir_all(work.path().join("db/setup")).unwrap();
    std::fs::write(work.path().join("db/setup/auth.sql"), AUTH_SETUP).unwrap();
    plan(work.path(), "setup = [\"db/setup/auth.sql\"]\n");
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("pg_dump entry `Name: users; Type: TABLE; Schema: auth`: was made by the setup (")
            && stderr.contains("and changed by the migration at db/migrations/20240101000000_users.sql:4:1"),
        "{stderr}"
    );
    assert!(stderr.contains("move that change into the setup"), "{stderr}");
}

#[test]
fn a_postgis_chain_whose_operator_installs_the_extension_squashes() {
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[(
            "20240101000000_places.sql",
            "-- migrate:up
create table places (id bigint primary key, name text not null, at geometry(Point, 4326), legacy_zone text);
create index places_at on places using gist (at);
insert into places values (1, 'Berlin', 'SRID=4326;POINT(13.4 52.52)', 'z1');
-- migrate:down
",
        )],
    );
    plan(work.path(), "extensions = [\"postgis\"]\n[retire]\ncolumns = [\"public.places.legacy_zone\"]\n");
    let (code, stdout, stderr) = squash(work.path(), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let baseline = std::fs::read_to_string(work.path().join("db/migrations/00000000000000_baseline.sql")).unwrap();
    assert!(!baseline.contains("CREATE EXTENSION") && !baseline.contains("spatial_ref_sys"), "{baseline}");
    assert!(baseline.contains("geometry(Point,4326)") && baseline.contains("Berlin"), "{baseline}");
}
