//! Opens a client for a [`DatabaseUrl`], with TLS as its `sslmode` asks (OpenSSL through
//! native-tls, feature `tls`): `require` encrypts without verifying, `verify-ca` checks the
//! chain, `verify-full` the chain and the host name; `sslrootcert` names the CA file. Built
//! without `tls`, `prefer` connects in plain text and the modes that need TLS are refused.

use thiserror::Error;
use tokio_postgres::Client;
use tokio_postgres::config::SslMode as ClientSslMode;

use super::database_url::{DatabaseUrl, SslMode, UrlError};
use crate::report::with_causes;

/// Why a connection could not be made.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// The URL is unusable.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The TLS setup failed (e.g. an unreadable `sslrootcert`).
    #[error("TLS setup: {0}; check sslrootcert in the database URL")]
    Tls(String),
    /// The URL asks for TLS and this build has none (it lacks the `tls` feature).
    #[error("{0} asks for TLS but this squashmate was built without its `tls` feature; enable it, or connect with sslmode=disable")]
    TlsNotBuilt(String),
    /// The server refused or could not be reached.
    #[error("{}", with_causes(.0))]
    Postgres(#[from] tokio_postgres::Error),
}

impl ConnectError {
    /// The server's SQLSTATE, when the server answered with an error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            ConnectError::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }
}

/// Connects to `url`; the connection runs on a spawned task.
pub async fn connect(url: &DatabaseUrl) -> Result<Client, ConnectError> {
    let mut config = url.client_config();
    let mode = url.ssl_mode()?;
    if mode == SslMode::Disable {
        config.ssl_mode(ClientSslMode::Disable);
        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        return Ok(client);
    }
    connect_tls(url, config, mode).await
}

#[cfg(not(feature = "tls"))]
async fn connect_tls(url: &DatabaseUrl, mut config: tokio_postgres::Config, mode: SslMode) -> Result<Client, ConnectError> {
    if mode != SslMode::Prefer {
        return Err(ConnectError::TlsNotBuilt(url.to_string()));
    }
    config.ssl_mode(ClientSslMode::Disable);
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

#[cfg(feature = "tls")]
async fn connect_tls(url: &DatabaseUrl, mut config: tokio_postgres::Config, mode: SslMode) -> Result<Client, ConnectError> {
    config.ssl_mode(if mode == SslMode::Prefer { ClientSslMode::Prefer } else { ClientSslMode::Require });
    let mut builder = native_tls::TlsConnector::builder();
    let root = url.ssl_root_cert();
    if let Some(path) = &root {
        let pem = std::fs::read(path).map_err(|e| ConnectError::Tls(format!("{}: {e}", path.display())))?;
        let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| ConnectError::Tls(format!("{}: {e}", path.display())))?;
        builder.add_root_certificate(cert);
    }
    let verify_chain = matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) || (mode == SslMode::Require && root.is_some());
    builder.danger_accept_invalid_certs(!verify_chain);
    builder.danger_accept_invalid_hostnames(mode != SslMode::VerifyFull);
    let connector = builder.build().map_err(|e| ConnectError::Tls(e.to_string()))?;
    let (client, connection) = config.connect(postgres_native_tls::MakeTlsConnector::new(connector)).await?;
    tokio::spawn(connection);
    Ok(client)
}
