//! `drift`: a live database against what its own migrations produce at exactly the versions
//! its ledger holds, with ledger problems and each difference told as the fix it needs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::source::{Reader, SourceError};
use crate::baseline::BaselineHeader;
use crate::catalog::{Change, Class, Difference, Kind, LeftOut, diff, introspect};
use crate::ledger::{DatabaseUrl, LedgerTable, connect};
use crate::migration::discover;

/// A problem with the ledger itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerProblem {
    /// The version concerned.
    pub version: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// What `drift` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DriftReport {
    /// Differences, migrations (left) → database (right).
    pub differences: Vec<Difference>,
    /// Ledger rows the migrations cannot explain.
    pub ledger: Vec<LedgerProblem>,
    /// How many ledger versions were replayed.
    pub replayed: usize,
    /// How many top-level objects of the database were left out (a squash's backups).
    pub left_out: usize,
}

impl DriftReport {
    /// Whether anything (of the classes not ignored) was found.
    pub fn has_findings(&self, ignore: &[Class]) -> bool {
        !self.ledger.is_empty() || self.differences.iter().any(|d| !ignore.contains(&d.class))
    }

    /// One line per finding, each with the concrete fix — for a service to log at boot.
    pub fn warnings(&self, ignore: &[Class]) -> Vec<String> {
        self.ledger
            .iter()
            .map(|p| format!("ledger {}: {}", p.version, p.message))
            .chain(self.differences.iter().filter(|d| !ignore.contains(&d.class)).map(explain))
            .collect()
    }
}

/// A difference as drift: "public.t.c: migrations say nullable, database has not null".
pub fn explain(d: &Difference) -> String {
    let subject = match (d.object.kind(), d.object.parent()) {
        (Kind::Column, Some(relation)) => format!("{}.{}", relation.name, d.object.name()),
        _ => d.object.to_string(),
    };
    let class = d.class.as_str();
    let (left, right) = (&d.left, &d.right);
    match d.change {
        Change::Added => format!("{subject}: exists in the database but no migration creates it [{class}]"),
        Change::Removed => format!("{subject}: the migrations create it but the database lacks it [{class}]"),
        Change::Renamed => format!("{subject}: name: migrations say {left}, database has {right} [{class}]"),
        Change::Property(prop) => format!("{subject}: {prop}: migrations say {left}, database has {right} [{class}]"),
    }
}

/// Where a checksum is known — `migrations.sum` beside the first directory — a file edited
/// since it was written means the database may hold what an older text said.
fn edited_since_sum(dirs: &[PathBuf], files: &[crate::migration::MigrationFile]) -> Option<LedgerProblem> {
    let sum_path = crate::migration::sum_path(dirs);
    let sum = std::fs::read_to_string(&sum_path).ok()?;
    let ordered: Vec<(String, String)> = files.iter().map(|f| (f.filename.clone(), f.source.text().to_string())).collect();
    let mismatch = crate::migration::check_sum(&sum, &ordered)?;
    let (version, what) = match mismatch {
        crate::migration::SumMismatch::File { filename, what, .. } => (filename, what),
        crate::migration::SumMismatch::Corrupt => (sum_path.display().to_string(), "edited by hand".to_string()),
    };
    Some(LedgerProblem {
        version,
        message: format!("{what} ({}): databases may hold what an earlier text of the migration said", sum_path.display()),
    })
}

/// Compares the database at `url` with its migrations in `dirs`, replayed at the ledger's
/// versions; what `left_out` names (a squash's backups) is not compared.
pub async fn drift(
    url: &DatabaseUrl,
    dirs: &[PathBuf],
    ledger_table: &str,
    reader: &Reader,
    left_out: &LeftOut,
) -> Result<DriftReport, SourceError> {
    let live = connect(url).await?;
    let ledger = LedgerTable::resolve(&live, ledger_table, &url.search_path()).await?;
    let applied: BTreeSet<String> = match live.query(&ledger.select_sql(), &[]).await {
        Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
        Err(e) if e.code().map(|c| c.code()) == Some("42P01") => BTreeSet::new(),
        Err(e) => return Err(e.into()),
    };
    let found = discover(dirs)?;
    let covered: BTreeSet<String> =
        found.files.iter().filter_map(|f| BaselineHeader::parse(f.source.text())).flat_map(|h| h.replaces).collect();
    let versions: BTreeSet<&str> = found.files.iter().map(|f| f.version.as_str()).collect();
    let ledger_problems = applied
        .iter()
        .filter(|v| !versions.contains(v.as_str()) && !covered.contains(*v))
        .map(|v| LedgerProblem {
            version: v.clone(),
            message: "applied, but no migration file has this version: its effects cannot be checked; restore the file".into(),
        })
        .collect::<Vec<_>>();
    let mut ledger_problems: Vec<LedgerProblem> = ledger_problems;
    ledger_problems.extend(edited_since_sum(dirs, &found.files));
    let chosen: Vec<_> = found.files.into_iter().filter(|f| applied.contains(&f.version)).collect();
    let replayed = chosen.len();
    let expected =
        reader.replayed(&dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "), chosen, &found.rejected).await?;
    let mut actual = introspect(&live, &reader.introspect).await?;
    let left_out = left_out.apply(&mut actual);
    Ok(DriftReport { differences: diff(&expected, &actual), ledger: ledger_problems, replayed, left_out })
}
