//! A finding located in a file (`path:line:col`, the offending line, the next step), the one
//! shape every command's findings take before they are rendered.

use std::path::PathBuf;

use super::{LineCol, Part, Severity, Way};

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
    /// Error or warning.
    pub severity: Severity,
    /// Which part of the file it concerns.
    pub part: Part,
}

impl Diagnostic {
    /// A finding about a file as a whole.
    pub fn for_path(path: impl Into<PathBuf>, code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Diagnostic {
            code: code.to_string(),
            path: path.into(),
            location: None,
            source_line: None,
            message: message.into(),
            hint: hint.into(),
            severity: Severity::Error,
            part: Part::File,
        }
    }

    /// The same finding as a warning.
    pub fn warning(self) -> Self {
        Diagnostic { severity: Severity::Warning, ..self }
    }

    /// The same finding about a file no command runs (dbmate skips it).
    pub fn outside(self) -> Self {
        Diagnostic { part: Part::Outside, ..self }
    }

    /// `path:line:col`, or the path alone when the finding has no place.
    pub fn place(&self) -> String {
        match self.location {
            Some(l) => format!("{}:{}:{}", self.path.display(), l.line, l.col),
            None => self.path.display().to_string(),
        }
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Whether a command running files `way` must refuse: an error in a part it runs.
    pub fn stops(&self, way: Way) -> bool {
        self.severity.stops(self.part, way)
    }
}

/// Findings split into those that stop a command running files `way` and the rest (warnings
/// to print while it proceeds).
pub fn stopping(diagnostics: Vec<Diagnostic>, way: Way) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    diagnostics.into_iter().partition(|d| d.stops(way))
}
