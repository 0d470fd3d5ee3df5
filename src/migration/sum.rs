//! `migrations.sum`: one line per migration file with a hash that chains every earlier file,
//! under a first line hashing the whole list — so any edit, insertion, deletion or reordering
//! shows, without git (a shallow clone is enough).
//!
//! ```text
//! h1:<blake3 of every line below>
//! 20240101000000_users.sql h1:<blake3(previous chain hash ‖ blake3(normalised text))>
//! ```
//! The chain starts from 32 zero bytes; text is normalised (BOM removed, CRLF → LF) first.

use std::fmt::Write;

use super::checksum::normalise;

/// The hash of one file's normalised text, as the chain consumes it.
fn content_hash(text: &str) -> blake3::Hash {
    blake3::hash(normalise(text).as_bytes())
}

/// One line of the sum file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumLine {
    /// The migration's file name.
    pub filename: String,
    /// Its chained hash (hex).
    pub hash: String,
}

/// The chained hashes of `files` (file name, text), in the order given.
pub fn chain(files: &[(String, String)]) -> Vec<SumLine> {
    let mut previous = [0u8; 32];
    files
        .iter()
        .map(|(filename, text)| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(&previous);
            hasher.update(content_hash(text).as_bytes());
            let hash = hasher.finalize();
            previous = *hash.as_bytes();
            SumLine { filename: filename.clone(), hash: hash.to_hex().to_string() }
        })
        .collect()
}

/// Where the sum file of `dirs` lives: beside the first directory (`db/migrations` →
/// `db/migrations.sum`).
pub fn sum_path(dirs: &[std::path::PathBuf]) -> std::path::PathBuf {
    let first = dirs.first().map_or_else(|| std::path::PathBuf::from("db/migrations"), Clone::clone);
    let name = first.file_name().map_or_else(|| "migrations".into(), |n| n.to_string_lossy().into_owned());
    first.with_file_name(format!("{name}.sum"))
}

/// The chain hash of a run of files: the last line's hash (what a baseline header records).
pub fn chain_hash(files: &[(String, String)]) -> String {
    chain(files).last().map_or_else(|| blake3::hash(b"").to_hex().to_string(), |l| l.hash.clone())
}

/// The sum file's text for `files` in migration order.
pub fn render(files: &[(String, String)]) -> String {
    let body: String = chain(files).iter().fold(String::new(), |mut out, l| {
        let _ = writeln!(out, "{} h1:{}", l.filename, l.hash);
        out
    });
    format!("h1:{}\n{body}", blake3::hash(body.as_bytes()).to_hex())
}

/// How a sum file disagrees with the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumMismatch {
    /// The first line does not hash the rest (the file was edited by hand).
    Corrupt,
    /// The first file whose line differs, with what the sum says and what it should say.
    File {
        /// The file name (as listed in the files, or in the sum when the file is gone).
        filename: String,
        /// 1-based line of the sum file.
        line: usize,
        /// What is wrong.
        what: String,
    },
}

/// Checks `sum_text` against `files`; `None` when they agree.
pub fn check(sum_text: &str, files: &[(String, String)]) -> Option<SumMismatch> {
    let expected = render(files);
    if normalise(sum_text) == expected {
        return None;
    }
    let text = normalise(sum_text);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let body: String = lines.clone().map(|l| format!("{l}\n")).collect();
    if header != format!("h1:{}", blake3::hash(body.as_bytes()).to_hex()) {
        return Some(SumMismatch::Corrupt);
    }
    let listed: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(' ')).collect();
    let actual = chain(files);
    for i in 0..listed.len().max(actual.len()) {
        let line = i + 2;
        let mismatch = match (listed.get(i), actual.get(i)) {
            (Some((name, _)), Some(file)) if *name != file.filename => {
                Some((file.filename.clone(), format!("the sum lists {name} here, the directory has {}", file.filename)))
            }
            (Some((_, hash)), Some(file)) if hash.strip_prefix("h1:") != Some(file.hash.as_str()) => {
                Some((file.filename.clone(), "its content (or an earlier file's) changed since the sum was written".to_string()))
            }
            (Some((name, _)), None) => Some((name.to_string(), "listed in the sum but missing from the directory".to_string())),
            (None, Some(file)) => Some((file.filename.clone(), "in the directory but not in the sum".to_string())),
            _ => None,
        };
        if let Some((filename, what)) = mismatch {
            return Some(SumMismatch::File { filename, line, what });
        }
    }
    Some(SumMismatch::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(texts: &[(&str, &str)]) -> Vec<(String, String)> {
        texts.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
    }

    #[test]
    fn sums_chain_and_name_the_first_difference() {
        let base = files(&[("1_a.sql", "a\n"), ("2_b.sql", "b\n"), ("3_c.sql", "c\n")]);
        let sum = render(&base);
        assert_eq!(check(&sum, &base), None);
        assert_eq!(check(&sum.replace('\n', "\r\n"), &base), None);
        let crlf = files(&[("1_a.sql", "a\r\n"), ("2_b.sql", "b\n"), ("3_c.sql", "c\n")]);
        assert_eq!(check(&sum, &crlf), None, "line endings are not edits");
        let edited = files(&[("1_a.sql", "a\n"), ("2_b.sql", "B\n"), ("3_c.sql", "c\n")]);
        assert!(matches!(check(&sum, &edited), Some(SumMismatch::File { filename, line: 3, .. }) if filename == "2_b.sql"));
        let removed = files(&[("1_a.sql", "a\n"), ("3_c.sql", "c\n")]);
        assert!(matches!(check(&sum, &removed), Some(SumMismatch::File { line: 3, .. })));
        assert_eq!(check(&sum.replace("1_a.sql", "1_x.sql"), &base), Some(SumMismatch::Corrupt));
        assert_eq!(chain_hash(&base[..2]), chain(&base)[1].hash);
    }
}
