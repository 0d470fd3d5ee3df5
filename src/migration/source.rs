//! Byte offsets → `line:col` and the offending line, so every problem can point at its place in a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::report::{Diagnostic, LineCol, Problem};

/// A file's text with an index of where each line starts. Cloning shares the text (a data
/// migration may be many megabytes).
#[derive(Debug, Clone)]
pub struct SourceText {
    path: PathBuf,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl SourceText {
    /// Locates `problem` in this text, as a finding ready to render.
    pub fn diagnostic(&self, problem: Problem) -> Diagnostic {
        let location = problem.offset.map(|offset| self.line_col(offset));
        Diagnostic {
            code: problem.code.to_string(),
            path: self.path().to_path_buf(),
            location,
            source_line: location.map(|l| self.line_text(l.line).to_string()),
            message: problem.message,
            hint: problem.hint,
            severity: problem.severity,
            part: problem.part,
        }
    }

    /// Indexes `text`, which was read from `path`.
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceText { path: path.into(), text: text.into(), line_starts }
    }

    /// Where the text came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text, exactly as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line and column of a byte offset (clamped to the text's end).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_index];
        let col = self.text[line_start..floor_char_boundary(&self.text, offset)].chars().count() + 1;
        LineCol { line: line_index + 1, col }
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(line).map_or(self.text.len(), |next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// The byte offset of the `char_pos`-th character (1-based) after `base`, as PostgreSQL
    /// counts error positions.
    pub fn offset_of_char(&self, base: usize, char_pos: usize) -> usize {
        self.text[base..].char_indices().nth(char_pos.saturating_sub(1)).map_or(self.text.len(), |(i, _)| base + i)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_to_lines_and_character_columns() {
        let src = SourceText::new("x.sql", "ab\nçd\r\nef".to_string());
        assert_eq!(src.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(src.line_col(3), LineCol { line: 2, col: 1 });
        // 'ç' is two bytes but one column.
        assert_eq!(src.line_col(5), LineCol { line: 2, col: 2 });
        assert_eq!(src.line_text(2), "çd");
        assert_eq!(src.line_text(3), "ef");
        assert_eq!(src.line_col(100), LineCol { line: 3, col: 3 });
        assert_eq!(src.offset_of_char(3, 2), 5);
    }
}
