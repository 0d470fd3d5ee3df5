//! Findings and how they are shown: human text, JSON for machines, GitHub annotations for CI.

mod diagnostic;
mod render;

pub use diagnostic::{Diagnostic, stopping};
pub use render::{Format, render, warning_line};

/// Serialises a duration as whole milliseconds (the `took_ms` of JSON reports).
pub fn as_millis<S: serde::Serializer>(took: &std::time::Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(took.as_millis())
}
