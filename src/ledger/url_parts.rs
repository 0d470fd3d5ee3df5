//! A database URL split the way Go's `net/url` splits it, because dbmate (written in Go) is
//! the reference: the query is cut off first, the authority ends at the first `/`, and its
//! *last* `@` ends the user information, so a raw `@` in a password works as it does there.
//! The parts stay percent-encoded; reassembling unchanged parts gives the text back.

/// The parts of `scheme://user:password@host:port/path?query#fragment`, still encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UrlParts {
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The host as written (an IPv6 address keeps its brackets); may be empty.
    pub host: String,
    pub port: Option<String>,
    pub path: String,
    pub query: Option<String>,
    pub fragment: Option<String>,
}

impl UrlParts {
    /// Splits `text`; `None` when it has no `scheme://` or an unusable port.
    pub fn parse(text: &str) -> Option<UrlParts> {
        let (text, fragment) = cut(text, '#');
        let (scheme, rest) = text.split_once("://")?;
        let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !scheme_ok {
            return None;
        }
        let (rest, query) = cut(rest, '?');
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let (userinfo, host_port) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo.map(|u| cut(u, ':')) {
            Some((user, password)) => (Some(user.to_string()), password),
            None => (None, None),
        };
        let (host, port) = split_port(host_port)?;
        Some(UrlParts {
            scheme: scheme.to_lowercase(),
            user,
            password,
            host: host.to_string(),
            port,
            path: path.to_string(),
            query,
            fragment,
        })
    }

    /// The decoded `key=value` pairs of the query, in order (`+` is a space, as in Go).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query_segments()
            .map(|segment| {
                let (key, value) = cut(segment, '=');
                (decode_query(key), decode_query(value.as_deref().unwrap_or_default()))
            })
            .collect()
    }

    /// The query's `key=value` segments as written.
    pub fn query_segments(&self) -> impl Iterator<Item = &str> {
        self.query.as_deref().unwrap_or_default().split('&').filter(|s| !s.is_empty())
    }
}

impl std::fmt::Display for UrlParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(password) = &self.password {
                write!(f, ":{password}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = &self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(&self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        if let Some(fragment) = &self.fragment {
            write!(f, "#{fragment}")?;
        }
        Ok(())
    }
}

/// `text` before and after the first `separator`.
fn cut(text: &str, separator: char) -> (&str, Option<String>) {
    match text.split_once(separator) {
        Some((before, after)) => (before, Some(after.to_string())),
        None => (text, None),
    }
}

/// A host and its optional port (`[::1]:5432`, `db:6543`, `db`); `None` for a port that is
/// not digits.
fn split_port(host_port: &str) -> Option<(&str, Option<String>)> {
    let host_end = if host_port.starts_with('[') { host_port.find(']')? + 1 } else { host_port.rfind(':').unwrap_or(host_port.len()) };
    let (host, port) = host_port.split_at(host_end);
    match port.strip_prefix(':') {
        None if port.is_empty() => Some((host, None)),
        Some(digits) if digits.chars().all(|c| c.is_ascii_digit()) => Some((host, (!digits.is_empty()).then(|| digits.to_string()))),
        _ => None,
    }
}

/// A query key or value decoded as Go's `QueryUnescape` does.
fn decode_query(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_go_does() {
        let url = UrlParts::parse("postgres://app:p@ss@db:6543/my%20app?sslmode=disable&x=a+b#f").unwrap();
        assert_eq!((url.user.as_deref(), url.password.as_deref()), (Some("app"), Some("p@ss")));
        assert_eq!((url.host.as_str(), url.port.as_deref(), url.path.as_str()), ("db", Some("6543"), "/my%20app"));
        assert_eq!(url.query_pairs(), [("sslmode".to_string(), "disable".to_string()), ("x".to_string(), "a b".to_string())]);
        assert_eq!(url.to_string(), "postgres://app:p@ss@db:6543/my%20app?sslmode=disable&x=a+b#f");
        let v6 = UrlParts::parse("postgresql://[::1]:5433/db").unwrap();
        assert_eq!((v6.host.as_str(), v6.port.as_deref(), v6.user), ("[::1]", Some("5433"), None));
        let socket = UrlParts::parse("postgres:///db?socket=/tmp").unwrap();
        assert_eq!((socket.host.as_str(), socket.path.as_str()), ("", "/db"));
    }

    #[test]
    fn refuses_what_is_not_a_url() {
        assert_eq!(UrlParts::parse("db.example:5432/app"), None);
        assert_eq!(UrlParts::parse("postgres://db:port/app"), None);
        assert_eq!(UrlParts::parse("1x://db/app"), None);
    }
}
