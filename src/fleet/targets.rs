//! The targets file: one database URL per line, `#` comments, `${VAR}` from the environment;
//! and `--shard K/N`, which takes every N-th target starting at the K-th. Pure: text in,
//! targets out, every error with its line.

use thiserror::Error;

use crate::ledger::{DatabaseUrl, UrlError};

/// One database of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetTarget {
    /// Its URL.
    pub url: DatabaseUrl,
    /// The line of the targets file it is on (1-based).
    pub line: usize,
}

/// A targets file or shard that cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TargetsError {
    /// A `${VAR}` that is not set.
    #[error("{file}:{line}: ${{{var}}} is not set; export it, or write the URL out")]
    Unset {
        /// The targets file.
        file: String,
        /// The line.
        line: usize,
        /// The variable.
        var: String,
    },
    /// A line that is not a database URL.
    #[error("{file}:{line}: {message}")]
    Url {
        /// The targets file.
        file: String,
        /// The line.
        line: usize,
        /// Why (the URL's password hidden).
        message: String,
    },
    /// No target at all.
    #[error("{0}: no database URL in it (one per line; `#` starts a comment)")]
    Empty(String),
    /// A `--shard` that is not `K/N` with 1 ≤ K ≤ N.
    #[error("--shard {0}: expected K/N with 1 <= K <= N, e.g. 2/4")]
    Shard(String),
}

/// Reads a targets file's `text` (named `file` in errors); `env` looks variables up.
pub fn parse_targets(file: &str, text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Vec<FleetTarget>, TargetsError> {
    let mut targets = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
        if content.is_empty() {
            continue;
        }
        let expanded = expand(content, &env).map_err(|var| TargetsError::Unset { file: file.into(), line, var })?;
        let url =
            DatabaseUrl::parse(&expanded).map_err(|e: UrlError| TargetsError::Url { file: file.into(), line, message: e.to_string() })?;
        targets.push(FleetTarget { url, line });
    }
    if targets.is_empty() {
        return Err(TargetsError::Empty(file.into()));
    }
    Ok(targets)
}

/// `${VAR}` replaced by its value; `Err(VAR)` for the first one unset.
fn expand(text: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else { break };
        let var = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        out.push_str(&env(var).ok_or_else(|| var.to_string())?);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `--shard K/N`: which share of the targets this run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, 1-based.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = TargetsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || TargetsError::Shard(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (k.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Every N-th target, starting at the K-th.
    pub fn take(self, targets: Vec<FleetTarget>) -> Vec<FleetTarget> {
        targets.into_iter().enumerate().filter(|(i, _)| i % self.count == self.index - 1).map(|(_, t)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        (var == "PGPASS").then(|| "s3cret".to_string())
    }

    #[test]
    fn comments_variables_and_errors_with_their_line() {
        let text = "# the fleet\npostgres://app:${PGPASS}@db1/app # eu\n\n  postgres://db2/app?sslmode=disable\n";
        let targets = parse_targets("targets", text, env).unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!((targets[0].line, targets[0].url.redacted().contains("s3cret")), (2, false));
        assert_eq!(targets[1].line, 4);
        assert_eq!(
            parse_targets("targets", "postgres://x@h/${NOPE}\n", env).unwrap_err().to_string(),
            "targets:1: ${NOPE} is not set; export it, or write the URL out"
        );
        let err = parse_targets("targets", "\nmysql://u:pw@h/db\n", env).unwrap_err().to_string();
        assert!(err.starts_with("targets:2: invalid database URL") && !err.contains("pw@"), "{err}");
        assert_eq!(parse_targets("targets", "# none\n", env).unwrap_err(), TargetsError::Empty("targets".into()));
    }

    #[test]
    fn shards_take_every_nth_target() {
        let text: String = (1..=7).map(|i| format!("postgres://h/db{i}\n")).collect();
        let targets = parse_targets("t", &text, env).unwrap();
        let names = |shard: &str| -> Vec<String> {
            shard.parse::<Shard>().unwrap().take(targets.clone()).iter().map(|t| t.url.database()).collect()
        };
        assert_eq!(names("1/3"), ["db1", "db4", "db7"]);
        assert_eq!(names("3/3"), ["db3", "db6"]);
        assert!("0/3".parse::<Shard>().is_err() && "4/3".parse::<Shard>().is_err() && "x".parse::<Shard>().is_err());
    }
}
