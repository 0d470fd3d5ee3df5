//! TLS through the URL's `sslmode` against a real server with a certificate signed by a test
//! CA: require, verify-ca, verify-full (host name checked), a wrong CA, and disable.

use crate::common;

use std::path::Path;
use std::process::Command;

use squashmate::ledger::{DatabaseUrl, connect};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, a server certificate for `db.internal` (not 127.0.0.1) signed by it, and an unrelated CA.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test ca"],
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "other.key",
            "-out",
            "other.pem",
            "-days",
            "2",
            "-subj",
            "/CN=other ca",
        ],
    );
    openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=db.internal"]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:db.internal\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

async fn uses_tls(url: &str) -> Result<bool, String> {
    let client = connect(&DatabaseUrl::parse(url).unwrap()).await.map_err(|e| e.to_string())?;
    let row = client.query_one("select ssl from pg_stat_ssl where pid = pg_backend_pid()", &[]).await.map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test]
async fn sslmodes_behave_as_libpq_describes() {
    let server = common::local_server().await;
    let certs = common::open_tempdir();
    certificates(certs.path());
    let key = certs.path().join("server.key");
    if nix::unistd::geteuid().is_root() {
        let postgres = nix::unistd::User::from_name("postgres").unwrap().expect("postgres user");
        for file in ["server.key", "server.crt"] {
            nix::unistd::chown(&certs.path().join(file), Some(postgres.uid), Some(postgres.gid)).unwrap();
        }
    }
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let admin = server.connect("postgres").await.unwrap();
    for setting in [
        format!("alter system set ssl_cert_file = '{}'", certs.path().join("server.crt").display()),
        format!("alter system set ssl_key_file = '{}'", key.display()),
        "alter system set ssl = on".to_string(),
        "select pg_reload_conf()".to_string(),
    ] {
        admin.batch_execute(&setting).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let base = server.url("postgres").replace("?sslmode=disable", "");
    let ca = certs.path().join("ca.pem").display().to_string();
    let other = certs.path().join("other.pem").display().to_string();
    assert_eq!(uses_tls(&format!("{base}?sslmode=disable")).await, Ok(false));
    assert_eq!(uses_tls(&format!("{base}?sslmode=prefer")).await, Ok(true));
    assert_eq!(uses_tls(&format!("{base}?sslmode=require")).await, Ok(true));
    assert_eq!(uses_tls(&format!("{base}?sslmode=verify-ca&sslrootcert={ca}")).await, Ok(true));
    let wrong_ca = uses_tls(&format!("{base}?sslmode=verify-ca&sslrootcert={other}")).await.unwrap_err();
    assert!(wrong_ca.contains("certificate"), "{wrong_ca}");
    // The certificate names db.internal, not 127.0.0.1: verify-full must refuse.
    let wrong_host = uses_tls(&format!("{base}?sslmode=verify-full&sslrootcert={ca}")).await.unwrap_err();
    assert!(wrong_host.contains("certificate") || wrong_host.contains("hostname") || wrong_host.contains("IP address"), "{wrong_host}");

    // The command line gets the same TLS.
    let work = tempfile::tempdir().unwrap();
    common::write_migrations(
        &work.path().join("db/migrations"),
        &[("1_a.sql", "-- migrate:up\ncreate table a (id int);\n-- migrate:down\n")],
    );
    let tls_url = format!("{}?sslmode=verify-ca&sslrootcert={ca}", server.url("over_tls").replace("?sslmode=disable", ""));
    let (code, stdout, stderr) =
        common::outcome(common::squashmate().current_dir(work.path()).env("DATABASE_URL", &tls_url).args(["--no-dump-schema", "up"]));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let bad_url = format!("{}?sslmode=verify-full&sslrootcert={ca}", server.url("over_tls").replace("?sslmode=disable", ""));
    let (code, _, stderr) = common::outcome(common::squashmate().current_dir(work.path()).env("DATABASE_URL", &bad_url).arg("status"));
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("Error: "), "{stderr}");
}
