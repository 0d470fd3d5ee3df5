//! A finding located in a file (`path:line:col`, the offending line, the next step), the one
//! shape every command's findings take before they are rendered.

use std::path::PathBuf;

use crate::migration::{LineCol, Problem, SourceText};

/// One finding, ready to render.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Stable rule identifier, e.g. `unparsable-sql`.
    pub code: String,
    /// The file concerned.
    pub path: PathBuf,
    /// Where in the file, when the finding has a place.
    #[serde(flatten)]
    pub location: Option<LineCol>,
    /// The text of that line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The next step.
    pub hint: String,
}

impl Diagnostic {
    /// Locates a file problem in its source text.
    pub fn from_problem(source: &SourceText, problem: Problem) -> Self {
        let location = problem.offset.map(|offset| source.line_col(offset));
        Diagnostic {
            code: problem.code.to_string(),
            path: source.path().to_path_buf(),
            location,
            source_line: location.map(|l| source.line_text(l.line).to_string()),
            message: problem.message,
            hint: problem.hint,
        }
    }

    /// A finding about a file as a whole.
    pub fn for_path(path: impl Into<PathBuf>, code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Diagnostic {
            code: code.to_string(),
            path: path.into(),
            location: None,
            source_line: None,
            message: message.into(),
            hint: hint.into(),
        }
    }
}
