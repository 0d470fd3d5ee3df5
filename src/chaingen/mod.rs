//! A synthetic but realistic dbmate migration chain of any length, deterministic for a seed:
//! tables with composite keys, renames, type changes, NOT NULL added and relaxed, CHECKs
//! added and replaced, enums, views, functions, triggers, RLS policies, indexes (also
//! `CONCURRENTLY` with `transaction:false`), sequences, comments, dropped tables and data.
//! Benchmarks and tests run on it.

mod model;
mod ops;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One generated migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedMigration {
    /// `YYYYMMDDHHMMSS_description.sql`.
    pub filename: String,
    /// The file's text.
    pub text: String,
}

/// Generates `count` migrations from `seed`.
pub fn generate(count: usize, seed: u64) -> Vec<GeneratedMigration> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut schema = model::Schema::default();
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("valid date");
    (0..count)
        .map(|i| {
            let step = ops::next_step(&mut schema, &mut rng, i);
            let version = (start + chrono::Duration::minutes(i as i64 * 37)).format("%Y%m%d%H%M%S");
            GeneratedMigration { filename: format!("{version}_{}.sql", step.name), text: step.render() }
        })
        .collect()
}

/// Writes `count` migrations from `seed` into `dir` (created if missing).
pub fn write_chain(dir: &std::path::Path, count: usize, seed: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for migration in generate(count, seed) {
        std::fs::write(dir.join(&migration.filename), migration.text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_lint_clean() {
        let a = generate(300, 7);
        assert_eq!(a, generate(300, 7));
        assert_ne!(a, generate(300, 8));
        let files: Vec<_> =
            a.iter().map(|m| crate::migration::MigrationFile::parse(&m.filename, m.text.clone()).expect("migration name")).collect();
        let found = crate::migration::Discovery { files, rejected: vec![] };
        let findings = crate::lint::lint(&found);
        assert!(findings.is_empty(), "{findings:#?}");
        let all: String = a.iter().map(|m| m.text.as_str()).collect();
        for feature in [
            "PRIMARY KEY (tenant_id, id)",
            "RENAME TO",
            "RENAME COLUMN",
            "TYPE ",
            "SET NOT NULL",
            "DROP NOT NULL",
            "CHECK (",
            "ADD VALUE",
            "CREATE VIEW",
            "CREATE OR REPLACE FUNCTION",
            "CREATE TRIGGER",
            "CREATE POLICY",
            "CREATE INDEX CONCURRENTLY",
            "transaction:false",
            "CREATE SEQUENCE",
            "COMMENT ON",
            "DROP TABLE",
            "INSERT INTO",
        ] {
            assert!(all.contains(feature), "no `{feature}` in 300 generated migrations");
        }
    }
}
