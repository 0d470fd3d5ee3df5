//! A problem found in one migration file, located by byte offset; the reporter turns the offset
//! into `file:line:col` at the edge.

/// One problem in a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable identifier of the rule, e.g. `unparsable-sql`.
    pub code: &'static str,
    /// Byte offset in the file the problem points at (`None`: the file as a whole).
    pub offset: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// The next step for the user.
    pub hint: String,
}

impl Problem {
    /// A problem at a byte offset.
    pub fn at(offset: usize, code: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem { code, offset: Some(offset), message: message.into(), hint: hint.into() }
    }

    /// A problem with the file as a whole.
    pub fn whole_file(code: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem { code, offset: None, message: message.into(), hint: hint.into() }
    }
}
