//! A problem found in one file, located by byte offset (the file's source text turns the offset
//! into `file:line:col` at the edge), with how serious it is and which part of the file it
//! concerns — so a command refuses only for problems in what it will run.

/// A 1-based line and column (columns count characters, not bytes) inside one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// How serious a problem is, judged by what the real dbmate does with the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// dbmate runs the file fine; worth knowing (e.g. an up block holding only comments).
    Warning,
    /// dbmate refuses the file, fails running it, or runs something else than it says.
    Error,
}

/// Which part of a file a problem concerns, and so which commands it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The file as dbmate splits it (markers, versions, encoding): every command that runs it.
    File,
    /// An up block: `up`, `migrate`, `replay`, `diff`, `drift`, `squash`.
    Up,
    /// A down block: only `rollback` of this file.
    Down,
    /// A file dbmate never reads as a migration (its name does not match): no command runs it.
    Outside,
    /// What only the real dbmate fails on (its ledger write after the block): `lint` and `gate`
    /// report it, squashmate's own commands run the file and print it.
    DbmateOnly,
}

/// Which way a command runs migration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Up blocks, then the ledger row is written.
    Up,
    /// Down blocks, last section first, then the ledger row is deleted.
    Down,
}

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
    /// Error or warning.
    pub severity: Severity,
    /// The part of the file concerned.
    pub part: Part,
}

impl Problem {
    /// An error at a byte offset, concerning the file as a whole.
    pub fn at(offset: usize, code: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem { code, offset: Some(offset), message: message.into(), hint: hint.into(), severity: Severity::Error, part: Part::File }
    }

    /// An error with the file as a whole.
    pub fn whole_file(code: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem { code, offset: None, message: message.into(), hint: hint.into(), severity: Severity::Error, part: Part::File }
    }

    /// Whether a command running files `way` must refuse: an error in a part it runs.
    pub fn stops(&self, way: Way) -> bool {
        self.severity.stops(self.part, way)
    }

    /// The same problem as a warning.
    pub fn warning(self) -> Self {
        Problem { severity: Severity::Warning, ..self }
    }

    /// The same problem, confined to one part of the file.
    pub fn in_part(self, part: Part) -> Self {
        Problem { part, ..self }
    }
}

impl Severity {
    /// Whether a problem of this severity in `part` stops a command running files `way`: an
    /// error in a part it runs.
    pub fn stops(self, part: Part, way: Way) -> bool {
        self == Severity::Error && part.runs_when(way)
    }
}

impl Part {
    /// Whether a command running files `way` runs this part.
    pub fn runs_when(self, way: Way) -> bool {
        match self {
            Part::File => true,
            Part::Up => way == Way::Up,
            Part::Down => way == Way::Down,
            Part::Outside | Part::DbmateOnly => false,
        }
    }
}
