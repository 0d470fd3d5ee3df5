//! Shared helpers for the integration tests: run the real binary, make temp dirs the
//! unprivileged server user can enter.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

pub mod planned;
pub mod registry;

/// The `squashmate` binary built for these tests.
pub fn squashmate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_squashmate"))
}

/// Runs `squashmate` with `args` in `cwd`.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    squashmate().args(args).current_dir(cwd).output().expect("squashmate runs")
}

/// stdout and stderr together, for assertions on messages.
pub fn all_output(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A temp dir that other users may traverse (the ephemeral server runs as `postgres` when we are root).
pub fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// Writes a migrations directory from (filename, text) pairs.
pub fn write_migrations(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("create migrations dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write migration");
    }
}

/// Process ids of running `postgres` processes whose command line mentions `needle`.
pub fn postgres_processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains("postgres") && cmdline.contains(needle) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

/// The real dbmate binary (installed by `scripts/test` under `.tools/`).
pub fn dbmate() -> Command {
    let path = std::env::var_os("SQUASHMATE_DBMATE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/@dbmate/linux-x64/bin/dbmate"));
    assert!(
        path.is_file(),
        "the real dbmate is needed for this test but {} is missing: run scripts/test (it installs dbmate 2.36.0 with npm)",
        path.display()
    );
    Command::new(path)
}

/// The PostgreSQL major the tests run on (`SQUASHMATE_PG_VERSION`, as the binary reads it;
/// unset: the newest local installation).
pub fn pg_version() -> Option<u32> {
    std::env::var("SQUASHMATE_PG_VERSION").ok().map(|v| v.parse().expect("SQUASHMATE_PG_VERSION is a major number"))
}

/// A local ephemeral server (of [`pg_version`]) for tests that need a database URL.
pub async fn local_server() -> squashmate::server::EphemeralServer {
    let options =
        squashmate::server::ServerOptions { provider: squashmate::server::Provider::Local, pg_version: pg_version(), ..Default::default() };
    squashmate::server::EphemeralServer::start(&options).await.expect("local PostgreSQL server")
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn outcome(command: &mut Command) -> (Option<i32>, String, String) {
    let out = command.output().expect("command runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Copies the example chain (`db/migrations`) into `work/db/migrations`.
pub fn copy_example(work: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("db/migrations");
    let to = work.join("db/migrations");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}
