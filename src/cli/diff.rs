//! `squashmate diff A B`: each side a postgres URL, a migrations directory or a schema file.

use super::differences::render;
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::catalog::{Class, IntrospectOptions, diff};
use crate::drift::{Reader, Side};
use crate::report::Format;
use crate::server::ServerOptions;

/// Compares `left` with `right` and prints the differences.
pub async fn run(
    left: &str,
    right: &str,
    ignore: &[Class],
    format: Format,
    introspect: IntrospectOptions,
    server: &ServerOptions,
) -> anyhow::Result<u8> {
    let (left, right) = (Side::parse(left)?, Side::parse(right)?);
    let reader = Reader::new(server.clone(), introspect);
    // Both sides at once: each is a handful of catalog queries on its own connection.
    let (a, b) = tokio::join!(reader.read(&left), reader.read(&right));
    let (a, b) = (a?, b?);
    reader.take_warnings().iter().for_each(|w| eprintln!("{}", crate::report::warning_line(w)));
    if let Some(version) = reader.server_version() {
        eprintln!("Ephemeral server: PostgreSQL {version}");
    }
    let differences = diff(&a, &b);
    out!("{}", render(&differences, ignore, &[], format));
    Ok(if differences.iter().any(|d| !ignore.contains(&d.class)) { EXIT_FINDINGS } else { EXIT_OK })
}
