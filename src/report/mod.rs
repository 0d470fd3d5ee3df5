//! Findings and how they are shown: human text, JSON for machines, GitHub annotations for CI,
//! Markdown for pull requests;
//! and errors as one line with their causes and no password. The bottom layer: every module
//! may use it, it uses none but `sql`.

mod diagnostic;
mod errors;
pub mod markdown;
mod problem;
mod render;

pub use diagnostic::{Diagnostic, stopping};
pub use errors::{Refusal, redact_text, with_causes};
pub use problem::{LineCol, Part, Problem, Severity, Way};
pub use render::{Format, render, warning_line};

/// Serialises a duration as whole milliseconds (the `took_ms` of JSON reports).
pub fn as_millis<S: serde::Serializer>(took: &std::time::Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(took.as_millis())
}
