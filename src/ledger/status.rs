//! Which migrations are applied and which pending, and which ledger rows have no file —
//! computed from the files and the ledger alone, without I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::baseline::BaselineHeader;
use crate::migration::MigrationFile;

/// One migration file and whether the ledger holds its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// The file name.
    pub filename: String,
    /// Its version.
    pub version: String,
    /// Whether it is applied.
    pub applied: bool,
}

/// A ledger row without a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanRow {
    /// The recorded version.
    pub version: String,
    /// The baseline file that replaced it, when one did.
    pub covered_by: Option<String>,
}

/// The state of a database's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Every file, in order.
    pub files: Vec<FileStatus>,
    /// Ledger rows with no file.
    pub orphans: Vec<OrphanRow>,
}

impl Status {
    /// Computes the status of `files` against the `applied` ledger versions.
    pub fn compute(files: &[MigrationFile], applied: &BTreeSet<String>) -> Self {
        let versions: BTreeSet<&str> = files.iter().map(|f| f.version.as_str()).collect();
        let mut covered: BTreeMap<&str, &str> = BTreeMap::new();
        let headers: Vec<(&MigrationFile, BaselineHeader)> =
            files.iter().filter_map(|f| BaselineHeader::parse(f.source.text()).map(|h| (f, h))).collect();
        for (file, header) in &headers {
            for version in &header.replaces {
                covered.insert(version, &file.filename);
            }
        }
        Status {
            files: files
                .iter()
                .map(|f| FileStatus { filename: f.filename.clone(), version: f.version.clone(), applied: applied.contains(&f.version) })
                .collect(),
            orphans: applied
                .iter()
                .filter(|v| !versions.contains(v.as_str()))
                .map(|v| OrphanRow { version: v.clone(), covered_by: covered.get(v.as_str()).map(|f| f.to_string()) })
                .collect(),
        }
    }

    /// Files not yet applied.
    pub fn pending(&self) -> impl Iterator<Item = &FileStatus> {
        self.files.iter().filter(|f| !f.applied)
    }

    /// How many files are applied.
    pub fn applied_count(&self) -> usize {
        self.files.iter().filter(|f| f.applied).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> MigrationFile {
        MigrationFile::parse(name, text.into()).unwrap()
    }

    #[test]
    fn orphans_are_reported_and_explained_by_a_baseline() {
        let header = BaselineHeader { replaces: vec!["1".into(), "2".into()], chain_hash: "h".into() };
        let files = vec![
            file("0_baseline.sql", &format!("{}-- migrate:up\nselect 1;\n-- migrate:down\n", header.render())),
            file("3_c.sql", "-- migrate:up\nselect 1;\n-- migrate:down\n"),
        ];
        let applied: BTreeSet<String> = ["1", "2", "7"].into_iter().map(String::from).collect();
        let status = Status::compute(&files, &applied);
        assert_eq!(status.pending().count(), 2);
        assert_eq!(
            status.orphans,
            vec![
                OrphanRow { version: "1".into(), covered_by: Some("0_baseline.sql".into()) },
                OrphanRow { version: "2".into(), covered_by: Some("0_baseline.sql".into()) },
                OrphanRow { version: "7".into(), covered_by: None },
            ]
        );
    }
}
