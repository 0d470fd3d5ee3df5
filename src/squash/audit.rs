//! Where retired tables and columns are still referenced in source trees: every spelling code
//! uses (snake_case, camelCase, PascalCase, quoted, qualified), each hit with its file, line
//! and whether it sits in code, a string (SQL in strings counts) or a comment.

use std::path::{Path, PathBuf};

use regex::Regex;
use walkdir::WalkDir;

/// Where a hit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HitKind {
    /// Program text.
    Code,
    /// Inside a string literal (often SQL).
    String,
    /// Inside a comment.
    Comment,
}

/// One reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    /// The retired object (as named in the plan).
    pub object: String,
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Code, string or comment.
    pub kind: HitKind,
    /// The line's text.
    pub text: String,
}

/// The spellings of a snake_case name: itself, camelCase and PascalCase.
pub fn spellings(name: &str) -> Vec<String> {
    let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    let cap = |w: &str| w.chars().next().map(|c| c.to_uppercase().collect::<String>() + &w[c.len_utf8()..]).unwrap_or_default();
    let pascal: String = words.iter().map(|w| cap(w)).collect();
    let camel = words.first().map(|f| f.to_string() + &words[1..].iter().map(|w| cap(w)).collect::<String>()).unwrap_or_default();
    let mut all = vec![name.to_string(), camel, pascal];
    all.sort();
    all.dedup();
    all
}

/// Finds every reference to `names` (object label, bare name) under `roots`.
pub fn audit(roots: &[PathBuf], names: &[(String, String)]) -> Vec<Hit> {
    let patterns: Vec<(String, Regex)> = names
        .iter()
        .map(|(label, name)| {
            let alternatives: Vec<String> = spellings(name).iter().map(|s| regex::escape(s)).collect();
            let re = Regex::new(&format!(r"(?:^|[^A-Za-z0-9_])({})(?:$|[^A-Za-z0-9_])", alternatives.join("|")))
                .expect("escaped names form a valid regex");
            (label.clone(), re)
        })
        .collect();
    let mut hits = Vec::new();
    for root in roots {
        for entry in WalkDir::new(root).sort_by_file_name().into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
            let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
            scan(entry.path(), &text, &patterns, &mut hits);
        }
    }
    hits
}

fn scan(path: &Path, text: &str, patterns: &[(String, Regex)], hits: &mut Vec<Hit>) {
    let mut in_block_comment = false;
    for (index, line) in text.lines().enumerate() {
        let kinds = classify(line, &mut in_block_comment);
        for (label, re) in patterns {
            for found in re.captures_iter(line) {
                let m = found.get(1).expect("the name group");
                hits.push(Hit {
                    object: label.clone(),
                    path: path.to_path_buf(),
                    line: index + 1,
                    col: line[..m.start()].chars().count() + 1,
                    kind: kinds[m.start()],
                    text: line.trim().to_string(),
                });
            }
        }
    }
}

/// The kind of every byte of a line: strings ('', "", ``), comments (//, #, --, /* */).
fn classify(line: &str, in_block: &mut bool) -> Vec<HitKind> {
    let bytes = line.as_bytes();
    let mut kinds = vec![HitKind::Code; bytes.len() + 1];
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if *in_block {
            kinds[i] = HitKind::Comment;
            if rest.starts_with(b"*/") {
                kinds[i + 1] = HitKind::Comment;
                *in_block = false;
                i += 2;
                continue;
            }
        } else if let Some(q) = quote {
            kinds[i] = HitKind::String;
            if bytes[i] == b'\\' {
                if i + 1 < bytes.len() {
                    kinds[i + 1] = HitKind::String;
                }
                i += 2;
                continue;
            }
            if bytes[i] == q {
                quote = None;
            }
        } else if rest.starts_with(b"//") || rest.starts_with(b"--") || (bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
        {
            kinds[i..].iter_mut().for_each(|k| *k = HitKind::Comment);
            break;
        } else if rest.starts_with(b"/*") {
            *in_block = true;
            kinds[i] = HitKind::Comment;
        } else if matches!(bytes[i], b'"' | b'\'' | b'`') {
            quote = Some(bytes[i]);
            kinds[i] = HitKind::String;
        }
        i += 1;
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_and_kinds() {
        assert_eq!(spellings("soul_md"), ["SoulMd", "soulMd", "soul_md"]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("agent.ts"),
            "const md = agent.soulMd; // soul_md is dead\nquery(\"SELECT soul_md FROM agents\");\n/* SoulMd\n still soul_md */\nlet soul_mdx = 1;\n",
        )
        .unwrap();
        let hits = audit(&[dir.path().to_path_buf()], &[("public.agents.soul_md".into(), "soul_md".into())]);
        let kinds: Vec<(usize, HitKind)> = hits.iter().map(|h| (h.line, h.kind)).collect();
        assert_eq!(kinds, [(1, HitKind::Code), (1, HitKind::Comment), (2, HitKind::String), (3, HitKind::Comment), (4, HitKind::Comment)]);
        assert_eq!(hits[0].col, 18);
    }
}
