//! The planner's regression corpus, one directory per case under `tests/data/plan`: `base.sql`,
//! `changed.sql`, `plan.snap` (the migration files `--write` makes, insta: a plan that loses a
//! lock-friendly form fails even when it still applies; compared on the reference major, 15,
//! as other majors print views and routines otherwise) and, where the case needs them, `flags`
//! for plan and diff (`--privileges`) and `min_major` (what it uses came with that major).
//! Each case is planned, written, applied with the real dbmate, compared with `changed.sql`
//! loaded directly, and rolled back, on every major the suite runs on.

use std::path::{Path, PathBuf};

use crate::common::planned::{Bench, on_two_threads};

/// The major the snapshots were taken on.
const REFERENCE_MAJOR: u32 = 15;

#[test]
fn every_corpus_case_is_planned_applied_by_dbmate_and_rolled_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plan");
    let major = crate::common::pg_version().unwrap_or(REFERENCE_MAJOR);
    let runs_here = |dir: &PathBuf| {
        std::fs::read_to_string(dir.join("min_major")).map_or(true, |m| m.trim().parse::<u32>().is_ok_and(|min| major >= min))
    };
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).filter(runs_here).collect();
    cases.sort();
    assert!(cases.len() >= 10, "the corpus has {} cases", cases.len());
    let bench = Bench::start();
    let results = on_two_threads(&cases, |i, dir| {
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()));
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let flags = std::fs::read_to_string(dir.join("flags")).unwrap_or_default();
        let flags: Vec<&str> = flags.split_whitespace().collect();
        bench.plan_case(&format!("corpus_{i}"), &name, &read("base.sql"), &read("changed.sql"), &flags)
    });
    let failures: Vec<&str> = results.iter().filter_map(|r| r.as_ref().err().map(String::as_str)).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
    if major != REFERENCE_MAJOR {
        return;
    }
    for (dir, held) in cases.iter().zip(results.iter().flatten()) {
        insta::with_settings!({ snapshot_path => dir, prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!("plan", held.written);
        });
    }
}
