//! A database URL as dbmate takes it (`postgres://user:pass@host:port/db?sslmode=…&search_path=…`),
//! turned into a client configuration with TLS, and shown only with the password hidden.

use std::path::PathBuf;

use thiserror::Error;

use super::url_parts::UrlParts;
use crate::report::redact_text;

/// A URL that cannot be used.
#[derive(Debug, Error)]
pub enum UrlError {
    /// Not a URL, or not a postgres one.
    #[error("invalid database URL {0}; expected postgres://user:password@host:port/database?sslmode=disable")]
    Invalid(String),
    /// An sslmode libpq does not know.
    #[error("unknown sslmode `{0}`; use disable, allow, prefer, require, verify-ca or verify-full")]
    SslMode(String),
}

/// How TLS is used, with libpq's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never.
    Disable,
    /// Try TLS (no verification), fall back to plain.
    Prefer,
    /// TLS, without verifying the certificate (unless `sslrootcert` is given).
    Require,
    /// TLS, certificate chain verified, host name not checked.
    VerifyCa,
    /// TLS, certificate chain and host name verified.
    VerifyFull,
}

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: UrlParts,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    /// Parses a `postgres://` or `postgresql://` URL.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let url = UrlParts::parse(text).ok_or_else(|| UrlError::Invalid(redact_text(text)))?;
        if url.scheme != "postgres" && url.scheme != "postgresql" {
            return Err(UrlError::Invalid(redact_text(text)));
        }
        let parsed = DatabaseUrl { url };
        parsed.ssl_mode()?;
        Ok(parsed)
    }

    /// The URL with its password replaced by `********`.
    pub fn redacted(&self) -> String {
        let mut shown = self.url.clone();
        if shown.password.is_some() {
            shown.password = Some("********".into());
        }
        shown.to_string()
    }

    fn query(&self, key: &str) -> Option<String> {
        self.url.query_pairs().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The database name (the URL's path).
    pub fn database(&self) -> String {
        decode(self.url.path.trim_start_matches('/'))
    }

    /// The same server and options, another database.
    pub fn with_database(&self, database: &str) -> Self {
        let mut url = self.url.clone();
        url.path = format!("/{}", percent_encoding::utf8_percent_encode(database, percent_encoding::NON_ALPHANUMERIC));
        DatabaseUrl { url }
    }

    /// The schemas of the URL's `search_path`, in order.
    pub fn search_path(&self) -> Vec<String> {
        self.query("search_path")
            .map(|p| p.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    /// How TLS is to be used (`sslmode`, default `prefer`).
    pub fn ssl_mode(&self) -> Result<SslMode, UrlError> {
        match self.query("sslmode").as_deref() {
            None | Some("prefer") | Some("allow") => Ok(SslMode::Prefer),
            Some("disable") => Ok(SslMode::Disable),
            Some("require") => Ok(SslMode::Require),
            Some("verify-ca") => Ok(SslMode::VerifyCa),
            Some("verify-full") => Ok(SslMode::VerifyFull),
            Some(other) => Err(UrlError::SslMode(other.to_string())),
        }
    }

    /// The CA certificate file to verify the server with (`sslrootcert`).
    pub fn ssl_root_cert(&self) -> Option<PathBuf> {
        self.query("sslrootcert").map(PathBuf::from)
    }

    /// The client configuration (host from the URL, or its `host`/`socket` parameter).
    pub fn client_config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        let host = self
            .query("host")
            .or_else(|| self.query("socket"))
            .or_else(|| Some(&self.url.host).filter(|h| !h.is_empty()).map(|h| decode(h.trim_matches(['[', ']']))))
            .unwrap_or_else(|| "/var/run/postgresql".into());
        config.host(&host);
        config.port(self.query("port").or_else(|| self.url.port.clone()).and_then(|p| p.parse().ok()).unwrap_or(5432));
        let user = self.url.user.as_deref().map(decode).unwrap_or_default();
        config.user(if user.is_empty() { "postgres" } else { &user });
        if let Some(password) = &self.url.password {
            config.password(percent_encoding::percent_decode_str(password).collect::<Vec<u8>>());
        }
        config.dbname(self.database());
        config.application_name(self.query("application_name").unwrap_or_else(|| "squashmate".into()));
        if let Some(seconds) = self.query("connect_timeout").and_then(|s| s.parse().ok()) {
            config.connect_timeout(std::time::Duration::from_secs(seconds));
        }
        let search_path = self.search_path();
        if !search_path.is_empty() {
            config.options(format!("-c search_path={}", search_path.join(",")));
        }
        config
    }

    /// The same URL without its password (which then goes through `PGPASSWORD`).
    pub fn without_password(&self) -> Self {
        let mut url = self.url.clone();
        url.password = None;
        DatabaseUrl { url }
    }

    /// `pg_dump`'s connection arguments as dbmate builds them: `--schema` per `search_path`
    /// entry, then the URL without `search_path`.
    pub fn pg_dump_args(&self) -> Vec<String> {
        let mut args: Vec<String> = self.search_path().into_iter().flat_map(|s| ["--schema".to_string(), s]).collect();
        let mut url = self.url.clone();
        let kept: Vec<&str> = self.url.query_segments().filter(|segment| segment.split('=').next() != Some("search_path")).collect();
        url.query = (!kept.is_empty()).then(|| kept.join("&"));
        args.push(url.to_string());
        args
    }
}

/// A percent-encoded part of the URL, decoded.
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dbmate_urls() {
        let url = DatabaseUrl::parse("postgres://app:s%40cret@db.example:6543/my_app?sslmode=verify-full&search_path=app,public").unwrap();
        assert_eq!(url.database(), "my_app");
        assert_eq!(url.search_path(), ["app", "public"]);
        assert_eq!(url.ssl_mode().unwrap(), SslMode::VerifyFull);
        assert_eq!(url.redacted(), "postgres://app:********@db.example:6543/my_app?sslmode=verify-full&search_path=app,public");
        assert!(!format!("{url:?}").contains("cret"));
        let config = url.client_config();
        assert_eq!(config.get_password(), Some(&b"s@cret"[..]));
        assert_eq!(config.get_ports(), [6543]);
        assert_eq!(
            url.pg_dump_args(),
            ["--schema", "app", "--schema", "public", "postgres://app:s%40cret@db.example:6543/my_app?sslmode=verify-full"]
        );
        assert_eq!(url.with_database("postgres").database(), "postgres");
    }

    #[test]
    fn rejects_bad_urls_without_showing_the_password() {
        let err = DatabaseUrl::parse("mysql://u:hunter2@h/db").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(DatabaseUrl::parse("postgres://h/db?sslmode=maybe").is_err());
    }
}
