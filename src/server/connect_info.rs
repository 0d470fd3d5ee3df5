//! How to reach a server: host, port, user, password; turned into a client config or a URL for
//! external programs (pg_dump, dbmate). The password never appears in `Debug` output.

use std::fmt;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Connection parameters of a server (not of one database).
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectInfo {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Role to connect as.
    pub user: String,
    /// Password, when the server needs one.
    pub password: Option<String>,
}

impl fmt::Debug for ConnectInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectInfo")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .finish()
    }
}

impl ConnectInfo {
    /// A client configuration for database `dbname`.
    pub fn config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config.host(&self.host).port(self.port).user(&self.user).dbname(dbname).application_name("squashmate");
        if let Some(password) = &self.password {
            config.password(password);
        }
        config
    }

    /// A `postgres://` URL for database `dbname`, for programs we run.
    pub fn url(&self, dbname: &str) -> String {
        let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let auth = match &self.password {
            Some(p) => format!("{}:{}", enc(&self.user), enc(p)),
            None => enc(&self.user),
        };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("postgres://{auth}@{host}:{}/{}?sslmode=disable", self.port, enc(dbname))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_and_debug_hides_the_password() {
        let info = ConnectInfo { host: "127.0.0.1".into(), port: 5433, user: "a b".into(), password: Some("p@ss".into()) };
        assert_eq!(info.url("my db"), "postgres://a%20b:p%40ss@127.0.0.1:5433/my%20db?sslmode=disable");
        assert!(!format!("{info:?}").contains("p@ss"));
    }
}
