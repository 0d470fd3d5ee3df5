//! Findings and how they are shown: human text, JSON for machines, GitHub annotations for CI.

mod diagnostic;
mod render;

pub use diagnostic::{Diagnostic, stopping};
pub use render::{Format, render, warning_line};
