//! The squash report: what was retired and why it is safe, every check with its result and
//! time, timings per step, sample rows. One value, printed as `report.md` or as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::audit::Hit;
use super::data::Contents;
use super::retired::Retired;
use super::verify::Check;
use crate::seed::Seeded;

/// Everything a squash found and did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Whether every check passed (and the files were replaced).
    pub passed: bool,
    /// The server (and pg_dump) the squash was made and proven on.
    pub proven_on: String,
    /// The squashed versions, ascending.
    pub squashed: Vec<String>,
    /// The versions after `--through`, kept after the baseline.
    pub kept: Vec<String>,
    /// The baseline's version.
    pub baseline_version: String,
    /// Wall time of the whole squash.
    pub total_ms: u128,
    /// The retired objects.
    pub retired: Retired,
    /// The source trees the audit read (empty: no audit).
    pub audited: Vec<PathBuf>,
    /// Every reference the audit found.
    pub audit: Vec<Hit>,
    /// Every verification check.
    pub checks: Vec<Check>,
    /// Wall time per step.
    pub timings: Vec<Timing>,
    /// The sample rows in the old chain's database.
    pub sample_rows: SampleRows,
    /// The rows the old chain leaves, carried into the baseline.
    pub chain_rows: ChainRows,
    /// Problems in the squashed files that did not stop the squash (warnings, down blocks).
    pub lint_warnings: Vec<crate::report::Diagnostic>,
    /// The roles the baseline creates and those it grants to or names as owners.
    pub roles: BaselineRoles,
}

/// The roles in the baseline: pg_dump never dumps roles, so those the chain created are made by
/// the baseline (where missing); the others must exist wherever it runs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaselineRoles {
    /// Created by the baseline where missing, with the chain's attributes (never a password).
    pub created: Vec<super::roles::ChainRole>,
    /// Granted to or owning objects in the baseline, not created by it: production's roles.
    pub used: Vec<String>,
}

impl BaselineRoles {
    /// One line for people, empty when the baseline names no role.
    pub fn summary(&self) -> String {
        let created: Vec<&str> = self.created.iter().map(|r| r.name.as_str()).collect();
        match (created.is_empty(), self.used.is_empty()) {
            (true, true) => String::new(),
            (false, true) => {
                format!("The baseline creates the roles {} where missing (no passwords: set them as before).", created.join(", "))
            }
            (true, false) => {
                format!("The baseline grants to (or gives ownership to) {}: they must exist where it runs.", self.used.join(", "))
            }
            (false, false) => format!(
                "The baseline creates the roles {} where missing (no passwords: set them as before), and grants to (or gives ownership to) {}, which must exist where it runs.",
                created.join(", "),
                self.used.join(", ")
            ),
        }
    }
}

/// The rows the old chain leaves in kept tables (they are in the baseline).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChainRows {
    /// Table → rows.
    pub rows: BTreeMap<String, u64>,
    /// Columns whose clock values, written during the replay, were pinned (and any that could
    /// not be, with why).
    pub pinned: Vec<String>,
}

impl ChainRows {
    /// From what the kept tables hold, and the pinned columns.
    pub fn new(digest: &BTreeMap<String, Contents>, pinned: Vec<String>) -> ChainRows {
        let rows = digest
            .iter()
            .filter_map(|(table, contents)| match contents {
                Contents::Rows { count, .. } if *count > 0 => Some((table.clone(), *count as u64)),
                _ => None,
            })
            .collect();
        ChainRows { rows, pinned }
    }
}

/// One step's wall time.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// What was done.
    pub step: String,
    /// How long it took.
    pub ms: u128,
}

/// Sample rows per table and the tables that refused some.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SampleRows {
    /// Table → rows inserted.
    pub rows: BTreeMap<String, u32>,
    /// Table → PostgreSQL's reason for the last refused row.
    pub refused: BTreeMap<String, String>,
}

impl From<&Seeded> for SampleRows {
    fn from(seeded: &Seeded) -> Self {
        SampleRows { rows: seeded.rows.clone(), refused: seeded.refused.clone() }
    }
}

impl Report {
    /// The report as Markdown (`db/squash/<date>/report.md`).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# squashmate squash report\n");
        let _ = writeln!(
            out,
            "{} {} migrations ({}..{}) into baseline {} on {}. Total time: {} ms.\n",
            if self.passed { "Squashed" } else { "**Not squashed** (a check failed; no migration file was changed):" },
            self.squashed.len(),
            self.squashed.first().map(String::as_str).unwrap_or(""),
            self.squashed.last().map(String::as_str).unwrap_or(""),
            self.baseline_version,
            self.proven_on,
            self.total_ms
        );
        if let (Some(first), Some(last)) = (self.kept.first(), self.kept.last()) {
            let _ = writeln!(out, "{} later migration(s) ({first}..{last}) stay after the baseline.\n", self.kept.len());
        }
        let roles = self.roles.summary();
        if !roles.is_empty() {
            let _ = writeln!(out, "{roles}\n");
        }
        self.write_retired(&mut out);
        self.write_audit(&mut out);
        if !self.lint_warnings.is_empty() {
            let _ = writeln!(out, "\n## Lint warnings (they did not stop the squash)\n");
            for w in &self.lint_warnings {
                let _ = writeln!(out, "- `{}` {}: {}", w.code, w.place(), w.message);
            }
        }
        let _ = writeln!(out, "\n## Verification\n\n| check | result | time |\n|---|---|---|");
        for c in &self.checks {
            let _ = writeln!(out, "| {} | {} | {} ms |", c.name, if c.passed { "passed" } else { "**FAILED**" }, c.took.as_millis());
        }
        for c in self.checks.iter().filter(|c| !c.passed) {
            let _ = writeln!(out, "\n### {} — failed\n\n```\n{}\n```", c.name, c.detail);
        }
        for c in self.checks.iter().filter(|c| c.passed && !c.detail.is_empty()) {
            let _ = writeln!(out, "\n### {} — passed; {}\n\n```\n{}\n```", c.name, c.id.passed_detail(), c.detail);
        }
        let _ = writeln!(out, "\n## Timings\n\n| step | time |\n|---|---|");
        for t in &self.timings {
            let _ = writeln!(out, "| {} | {} ms |", t.step, t.ms);
        }
        let rows = &self.sample_rows;
        let _ = writeln!(
            out,
            "\nSample rows (before the surgery, in the old chain's database): {} row(s) in {} table(s); {} table(s) refused some.",
            rows.rows.values().sum::<u32>(),
            rows.rows.len(),
            rows.refused.len()
        );
        for (table, why) in &rows.refused {
            let inserted = rows.rows.get(table).copied().unwrap_or(0);
            let _ = writeln!(out, "- {table}: {inserted} sample row(s); PostgreSQL refused others: {}", why.replace('\n', " "));
        }
        self.write_chain_rows(&mut out);
        out
    }

    fn write_chain_rows(&self, out: &mut String) {
        let chain = &self.chain_rows;
        let _ = writeln!(
            out,
            "\n## Rows the old chain leaves\n\n{} row(s) in {} kept table(s), carried into the baseline (checked: the fresh baseline holds the same rows and sequence positions).",
            chain.rows.values().sum::<u64>(),
            chain.rows.len()
        );
        for (table, rows) in &chain.rows {
            let _ = writeln!(out, "- {table}: {rows} row(s)");
        }
        if !chain.pinned.is_empty() {
            let _ = writeln!(
                out,
                "\nDate and time values the replay wrote (defaults like `now()`, triggers) are pinned to {} so the same chain always gives the same baseline:",
                super::data::PINNED_INSTANT
            );
            for p in &chain.pinned {
                let _ = writeln!(out, "- {p}");
            }
        }
    }

    fn write_retired(&self, out: &mut String) {
        let _ = writeln!(out, "## Retired\n");
        let retired = &self.retired;
        for t in &retired.tables {
            let _ = writeln!(out, "- table {} (moved to the backup, never dropped)", t.name);
            for (name, table, definition) in &t.foreign_keys {
                let _ = writeln!(out, "  - foreign key {name} on {table} dropped by the surgery, restored by the rollback: `{definition}`");
            }
        }
        for c in &retired.columns {
            let _ = writeln!(out, "- column {} ({}), values saved with the key ({})", c.name, c.type_sql, c.key.join(", "));
        }
        for v in &retired.views {
            let _ = writeln!(out, "- {} {} (definition kept in the rollback)", v.kind, v.name);
        }
        if retired.tables.is_empty() && retired.columns.is_empty() && retired.views.is_empty() {
            let _ = writeln!(out, "Nothing.");
        } else {
            let _ = writeln!(out, "\n```mermaid\n{}```", super::graph::mermaid(retired));
        }
    }

    fn write_audit(&self, out: &mut String) {
        if self.audited.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n## Audit of {}\n", self.audited.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        if self.audit.is_empty() {
            let _ = writeln!(out, "No reference to a retired table or column (snake_case, camelCase, PascalCase, quoted or qualified).");
        }
        for h in &self.audit {
            let _ = writeln!(out, "- {} at {}:{}:{} ({:?}): `{}`", h.object, h.path.display(), h.line, h.col, h.kind, h.text);
        }
    }
}
