//! `-- migrate:up` / `-- migrate:down` sections, found with dbmate's own marker patterns and
//! rules (mandatory down marker, nothing but comments before the first up, several pairs per
//! file, options on the marker line).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use pg_query::protobuf::Token;
use regex::Regex;

use super::statements::Statement;
use crate::report::{Part, Problem};

/// dbmate's up and down patterns (`(?m)^--\s*migrate:up(\s*$|\s+\S+)`, and `down`) as one,
/// so a file is scanned once.
static MARKER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^--\s*migrate:(up|down)(\s*$|\s+\S+)").expect("static regex"));
static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^--\s*migrate:(up|down)").expect("static regex"));
/// Lines a person meant as markers but that dbmate's patterns do not match.
static LOOKALIKE_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^[ \t]*--[ \t]*migrate[ \t]*:?[ \t]*(up|down)\b").expect("static regex"));

/// Which way a block migrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `-- migrate:up`
    Up,
    /// `-- migrate:down`
    Down,
}

impl Direction {
    /// The part of a file a block of this direction is.
    pub fn part(self) -> Part {
        match self {
            Direction::Up => Part::Up,
            Direction::Down => Part::Down,
        }
    }
}

/// Options written after a marker, e.g. `-- migrate:up transaction:false`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockOptions {
    /// Every `key:value` pair as written.
    pub values: BTreeMap<String, String>,
}

impl BlockOptions {
    /// dbmate runs a block in a transaction unless `transaction:false` is given.
    pub fn transaction(&self) -> bool {
        self.values.get("transaction").is_none_or(|v| v != "false")
    }
}

/// One up or down block of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Up or down.
    pub direction: Direction,
    /// Byte range of the marker line (without its newline).
    pub marker: Range<usize>,
    /// Byte range of the SQL after the marker line, up to the next marker or the end.
    pub body: Range<usize>,
    /// Options from the marker line.
    pub options: BlockOptions,
    /// The body's statements (filled in by [`super::MigrationFile`]).
    pub statements: Vec<Statement>,
}

/// An up block and the down block that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The `-- migrate:up` block.
    pub up: Block,
    /// The `-- migrate:down` block.
    pub down: Block,
}

#[derive(Debug, Clone, Copy)]
struct Marker {
    direction: Direction,
    start: usize,
}

/// Splits a file into sections as dbmate does; returns the sections it could pair and every
/// problem found.
pub fn parse_sections(text: &str) -> (Vec<Section>, Vec<Problem>) {
    let mut problems = Vec::new();
    let markers: Vec<Marker> = MARKER
        .captures_iter(text)
        .map(|c| {
            let direction = if &c[1] == "up" { Direction::Up } else { Direction::Down };
            Marker { direction, start: c.get(0).expect("whole match").start() }
        })
        .collect();

    if text.starts_with('\u{feff}') {
        problems.push(Problem::at(
            0,
            "byte-order-mark",
            "file starts with a UTF-8 byte-order mark, so dbmate does not see a marker on line 1",
            "save the file as UTF-8 without BOM",
        ));
    }
    if !markers.iter().any(|m| m.direction == Direction::Up) {
        problems.push(Problem::whole_file(
            "missing-up",
            "no `-- migrate:up` marker: dbmate requires each migration to define an up block",
            "add a line `-- migrate:up` before the migration's SQL",
        ));
    }
    if !markers.iter().any(|m| m.direction == Direction::Down) {
        problems.push(Problem::whole_file(
            "missing-down",
            "no `-- migrate:down` marker: dbmate requires each migration to define a down block (it may be empty)",
            "add a line `-- migrate:down` after the up SQL",
        ));
    }
    let first_marker = markers.first().map_or(text.len(), |m| m.start);
    if let Some(offset) = first_statement_line(&text[..first_marker]) {
        problems.push(Problem::at(
            offset,
            "statement-before-up",
            "SQL before the first `-- migrate:up` marker: dbmate does not run it and refuses the file",
            "move this SQL below `-- migrate:up`",
        ));
    }

    let mut sections = Vec::new();
    let mut pending_up: Option<usize> = None;
    for (i, marker) in markers.iter().enumerate() {
        match (marker.direction, pending_up) {
            (Direction::Up, None) => pending_up = Some(i),
            (Direction::Up, Some(up)) => {
                problems.push(Problem::at(
                    markers[up].start,
                    "missing-down",
                    "this `-- migrate:up` block has no `-- migrate:down` before the next up marker",
                    "add `-- migrate:down` (its body may be empty) before the next `-- migrate:up`",
                ));
                pending_up = Some(i);
            }
            (Direction::Down, Some(up)) => {
                let end = markers.get(i + 1).map_or(text.len(), |next| next.start);
                sections.push(Section { up: block(text, markers[up], marker.start), down: block(text, *marker, end) });
                pending_up = None;
            }
            (Direction::Down, None) if i == 0 => problems.push(Problem::at(
                marker.start,
                "down-before-up",
                "`-- migrate:down` appears before `-- migrate:up`",
                "put the up block first, then its down block",
            )),
            (Direction::Down, None) => problems.push(Problem::at(
                marker.start,
                "duplicate-down",
                "a second `-- migrate:down` marker in the same section",
                "remove this marker or add a `-- migrate:up` block before it",
            )),
        }
    }
    if let Some(up) = pending_up.filter(|_| markers.iter().any(|m| m.direction == Direction::Down)) {
        problems.push(Problem::at(
            markers[up].start,
            "missing-down",
            "this `-- migrate:up` block has no `-- migrate:down` after it",
            "add a `-- migrate:down` line (its body may be empty) after the up SQL",
        ));
    }
    for section in &sections {
        for b in [&section.up, &section.down] {
            option_problems(b, &mut problems);
        }
    }
    (sections, problems)
}

fn block(text: &str, marker: Marker, end: usize) -> Block {
    let line_end = text[marker.start..end].find('\n').map_or(end, |i| marker.start + i);
    let marker_line = text[marker.start..line_end].trim_end_matches('\r');
    let body_start = (line_end + 1).min(end);
    Block {
        direction: marker.direction,
        marker: marker.start..marker.start + marker_line.len(),
        body: body_start..end,
        options: parse_options(marker_line),
        statements: Vec::new(),
    }
}

fn parse_options(marker_line: &str) -> BlockOptions {
    let rest = DIRECTIVE.replace(marker_line, "");
    let values = rest
        .split_whitespace()
        .filter_map(|pair| {
            let mut parts = pair.split(':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(key), Some(value), None) => Some((key.to_string(), value.to_string())),
                _ => None,
            }
        })
        .collect();
    BlockOptions { values }
}

/// Options dbmate ignores: it runs the block anyway (in a transaction), so these warn.
fn option_problems(block: &Block, problems: &mut Vec<Problem>) {
    for (key, value) in &block.options.values {
        let problem = if key != "transaction" {
            Problem::at(
                block.marker.start,
                "unknown-option",
                format!("unknown marker option `{key}:{value}`: dbmate ignores it"),
                "the only option dbmate honours is `transaction:false`; remove this one",
            )
        } else if value != "false" && value != "true" {
            Problem::at(
                block.marker.start,
                "unknown-option",
                format!("`transaction:{value}` is not `transaction:false`, so dbmate runs this block in a transaction"),
                "write `transaction:false` to run the block outside a transaction, or remove the option",
            )
        } else {
            continue;
        };
        problems.push(problem.warning().in_part(block.direction.part()));
    }
}

/// Lines meant as markers that dbmate's patterns do not match (`-- migrate: up`, indented, …).
/// dbmate splits only on unindented markers, so a marker-like line inside a string, a
/// dollar-quoted body or a block comment of a block is text to it, and to us.
pub fn lookalike_markers(text: &str, sections: &[Section]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for found in LOOKALIKE_MARKER.find_iter(text) {
        let line_start = text[..found.start()].rfind('\n').map_or(0, |i| i + 1);
        if line_start != found.start() && !text[line_start..found.start()].trim().is_empty() {
            continue;
        }
        let line = &text[found.start()..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        if MARKER.find(line).is_some_and(|m| m.start() == 0) || inside_literal(text, sections, found.end() - 1) {
            continue;
        }
        let direction = found.as_str().to_lowercase().contains("up");
        let wanted = if direction { "-- migrate:up" } else { "-- migrate:down" };
        problems.push(Problem::at(
            found.start(),
            "malformed-marker",
            format!("`{}` looks like a marker but dbmate does not recognise it", found.as_str().trim()),
            format!("write exactly `{wanted}` at the start of the line"),
        ));
    }
    problems
}

/// Whether `offset` lies inside a string, a dollar-quoted body or a block comment of the
/// block body that holds it (by PostgreSQL's own scanner).
fn inside_literal(text: &str, sections: &[Section], offset: usize) -> bool {
    let Some(body) = sections.iter().flat_map(|s| [&s.up.body, &s.down.body]).find(|b| b.contains(&offset)) else {
        return false;
    };
    let Ok(tokens) = pg_query::scan_tokens(&text[body.clone()]) else {
        return false;
    };
    let at = offset - body.start;
    tokens.iter().any(|t| {
        let kind = t.token;
        let literal = kind == Token::Sconst as i32 || kind == Token::Usconst as i32 || kind == Token::CComment as i32;
        literal && (t.start as usize) < at && at < t.end as usize
    })
}

/// Offset of the first line that is neither blank nor a `--` comment.
fn first_statement_line(prefix: &str) -> Option<usize> {
    let mut offset = 0;
    for line in prefix.split_inclusive('\n') {
        let trimmed = line.trim_start_matches('\u{feff}').trim();
        if !trimmed.is_empty() && !trimmed.starts_with("--") {
            return Some(offset + (line.len() - line.trim_start().len()));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        let (sections, mut problems) = parse_sections(text);
        problems.splice(0..0, lookalike_markers(text, &sections));
        problems.into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn one_section_with_options() {
        let text = "-- a comment\n-- migrate:up transaction:false\ncreate index concurrently i on t (a);\n-- migrate:down\ndrop index i;\n";
        let (sections, problems) = parse_sections(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(sections.len(), 1);
        assert!(!sections[0].up.options.transaction());
        assert!(sections[0].down.options.transaction());
        assert_eq!(&text[sections[0].up.body.clone()], "create index concurrently i on t (a);\n");
        assert_eq!(&text[sections[0].down.body.clone()], "drop index i;\n");
    }

    #[test]
    fn several_pairs_per_file() {
        let text = "-- migrate:up\nselect 1;\n-- migrate:down\n-- migrate:up transaction:false\nselect 2;\n-- migrate:down\n";
        let (sections, problems) = parse_sections(text);
        assert!(problems.is_empty());
        assert_eq!(sections.len(), 2);
        assert_eq!(&text[sections[1].up.body.clone()], "select 2;\n");
        assert_eq!(&text[sections[0].down.body.clone()], "");
    }

    #[test]
    fn structural_problems() {
        assert_eq!(codes("-- migrate:up\nselect 1;\n"), ["missing-down"]);
        assert_eq!(codes("select 1;\n"), ["missing-up", "missing-down", "statement-before-up"]);
        assert_eq!(codes("-- migrate:down\n-- migrate:up\n"), ["down-before-up", "missing-down"]);
        assert_eq!(codes("-- migrate:up\n-- migrate:down\n-- migrate:down\n"), ["duplicate-down"]);
        assert_eq!(codes("create table t();\n-- migrate:up\n-- migrate:down\n"), ["statement-before-up"]);
        assert_eq!(codes("-- migrate: up\n-- migrate:up\n-- migrate:down\n"), ["malformed-marker"]);
        assert_eq!(codes("-- migrate:up transaction:flase\n-- migrate:down\n"), ["unknown-option"]);
        assert_eq!(codes("\u{feff}-- migrate:up\n-- migrate:down\n"), ["byte-order-mark", "missing-up", "down-before-up"]);
    }

    #[test]
    fn marker_like_lines_inside_literals_are_text_as_dbmate_reads_them() {
        let body = "create function f() returns text language plpgsql as $body$\nbegin\n  -- migrate:down is not a marker here\n  return 'x';\nend $body$;\n";
        assert!(codes(&format!("-- migrate:up\n{body}-- migrate:down\n")).is_empty());
        let string = "insert into notes values ('first line\n    -- migrate:up inside a string\n');\n";
        assert!(codes(&format!("-- migrate:up\n{string}-- migrate:down\n")).is_empty());
        let comment = "/* kept for history:\n  -- migrate:down\n*/\nselect 1;\n";
        assert!(codes(&format!("-- migrate:up\n{comment}-- migrate:down\n")).is_empty());
        // At top level an indented marker is the trap: dbmate runs what follows as part of up.
        assert_eq!(codes("-- migrate:up\nselect 1;\n  -- migrate:down\ndrop table t;\n-- migrate:down\n"), ["malformed-marker"]);
    }
}
