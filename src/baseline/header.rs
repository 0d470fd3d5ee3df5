//! Reads and writes the baseline header, a block of `--` comment lines at the top of the file:
//!
//! ```text
//! -- squashmate:baseline
//! -- replaces-count: 3
//! -- replaces-first: 20240101000000
//! -- replaces-last: 20240301000000
//! -- replaces-chain: <blake3 of the replaced files, chained as migrations.sum chains them>
//! -- replaces: 20240101000000 20240201000000 20240301000000
//! ```
//! `replaces:` lines may repeat (eight versions a line); their versions are concatenated.

use std::fmt::Write;

/// The first line of every baseline header.
pub const HEADER_MARKER: &str = "-- squashmate:baseline";

/// What a baseline replaced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaselineHeader {
    /// The replaced versions, ascending.
    pub replaces: Vec<String>,
    /// The chained blake3 of the replaced files.
    pub chain_hash: String,
}

impl BaselineHeader {
    /// Reads the header from a file's text, if it is a baseline.
    pub fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines().map(str::trim_end).skip_while(|l| l.trim().is_empty());
        if lines.next()? != HEADER_MARKER {
            return None;
        }
        let mut header = BaselineHeader::default();
        for line in lines.take_while(|l| l.starts_with("--")) {
            let Some((key, value)) = line.trim_start_matches("--").trim().split_once(':') else { continue };
            match key.trim() {
                "replaces" => header.replaces.extend(value.split_whitespace().map(String::from)),
                "replaces-chain" => header.chain_hash = value.trim().to_string(),
                _ => {}
            }
        }
        Some(header)
    }

    /// The header lines, ending with a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{HEADER_MARKER}");
        let _ = writeln!(out, "-- replaces-count: {}", self.replaces.len());
        if let (Some(first), Some(last)) = (self.replaces.first(), self.replaces.last()) {
            let _ = writeln!(out, "-- replaces-first: {first}\n-- replaces-last: {last}");
        }
        let _ = writeln!(out, "-- replaces-chain: {}", self.chain_hash);
        for chunk in self.replaces.chunks(8) {
            let _ = writeln!(out, "-- replaces: {}", chunk.join(" "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let header = BaselineHeader { replaces: (1..=10).map(|v| format!("{v:03}")).collect(), chain_hash: "abc".into() };
        let text = format!("{}-- more words\n-- migrate:up\ncreate table t ();\n", header.render());
        assert_eq!(BaselineHeader::parse(&text), Some(header));
        assert_eq!(BaselineHeader::parse("-- migrate:up\n"), None);
    }
}
