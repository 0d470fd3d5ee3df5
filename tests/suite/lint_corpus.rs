//! The bad-input corpus (`tests/data/bad/*`): every malformed migration set gives exit 1 or 2
//! (exit 0 with a warning where the real dbmate runs the file fine),
//! a message naming the file and line, and the next step — and nothing panics.

use crate::common;

use std::path::Path;

#[test]
fn every_bad_input_is_reported_with_place_and_next_step() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus).expect("corpus").flatten().map(|e| e.path()).collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus must hold at least 30 cases, has {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let expect = std::fs::read_to_string(case.join("expect")).expect("expect file");
        let mut args = vec!["lint".to_string()];
        let mut exit = None;
        let mut wanted = Vec::new();
        for line in expect.lines() {
            match line.split_once(' ') {
                Some(("dirs", dirs)) => dirs.split(' ').for_each(|d| args.extend(["-d".into(), d.into()])),
                Some(("exit", code)) => exit = code.parse::<i32>().ok(),
                Some(("contains", text)) => wanted.push(text.to_string()),
                _ => panic!("{}: bad expect line {line:?}", case.display()),
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::run(case, &args);
        let text = common::all_output(&out);
        let name = case.file_name().unwrap().to_string_lossy();
        if out.status.code() != exit {
            failures.push(format!("{name}: exit {:?}, expected {exit:?}\n{text}", out.status.code()));
        }
        if text.contains("panicked") {
            failures.push(format!("{name}: panicked\n{text}"));
        }
        for w in &wanted {
            if !text.contains(w.as_str()) {
                failures.push(format!("{name}: output lacks {w:?}\n{text}"));
            }
        }
        if exit == Some(1) && !text.contains("= next:") {
            failures.push(format!("{name}: no next step\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn json_and_github_formats_locate_findings() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad/unparsable_up");
    let out = common::run(&case, &["lint", "-d", "m", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
    let finding = &doc["findings"][0];
    assert_eq!(finding["code"], "unparsable-sql");
    assert_eq!(finding["path"], "m/1_bad.sql");
    assert_eq!((finding["line"].as_u64(), finding["col"].as_u64()), (Some(2), Some(8)));

    let out = common::run(&case, &["lint", "-d", "m", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("::error file=m/1_bad.sql,line=2,col=8,title=unparsable-sql::syntax error"), "{text}");
}

#[test]
fn the_example_chain_lints_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = common::run(root, &["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::all_output(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("30 migration(s) checked: no problems"));
}

#[test]
fn new_uses_dbmates_name_and_template_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::run(dir.path(), &["new", "create_users"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::all_output(&out));
    let created: Vec<_> = std::fs::read_dir(dir.path().join("db/migrations")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(created.len(), 1);
    let name = created[0].file_name().unwrap().to_string_lossy().into_owned();
    let re = regex::Regex::new(r"^\d{14}_create_users\.sql$").unwrap();
    assert!(re.is_match(&name), "{name}");
    assert_eq!(std::fs::read_to_string(&created[0]).unwrap(), "-- migrate:up\n\n\n-- migrate:down\n\n");

    // A file of the same name must never be overwritten: occupy the next few seconds' names.
    let migrations = dir.path().join("db/migrations");
    let now = chrono::Utc::now();
    for offset in -1..6 {
        let stamp = (now + chrono::Duration::seconds(offset)).format("%Y%m%d%H%M%S");
        std::fs::write(migrations.join(format!("{stamp}_create_users.sql")), "keep me").unwrap();
    }
    let out = common::run(dir.path(), &["new", "create_users"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::all_output(&out));
    assert!(common::all_output(&out).contains("already exists"));
    for e in std::fs::read_dir(&migrations).unwrap().flatten() {
        assert_eq!(std::fs::read_to_string(e.path()).unwrap(), "keep me");
    }
}

/// The hazard corpus (`tests/data/hazards/*`): a base chain and one change file each, half real
/// hazards (each rule several ways), half the safe forms of the same changes. Every hazard is
/// found with its rule, and no safe file is flagged.
#[test]
fn every_hazard_is_found_and_no_safe_change_is_flagged() {
    const RULES: [&str; 7] = [
        "require-lock-timeout",
        "table-rewrite",
        "rewrite-unless-utc",
        "full-scan-under-lock",
        "blocking-index",
        "breaking-change",
        "adding-required-field",
    ];
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hazards");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus).expect("corpus").flatten().map(|e| e.path()).collect();
    cases.sort();
    assert!(cases.len() >= 40, "the corpus must hold at least 40 cases, has {}", cases.len());
    let (mut hazardous, mut safe, mut failures) = (0, 0, Vec::new());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect = std::fs::read_to_string(case.join("expect")).expect("expect file");
        let wanted: Vec<&str> = expect.trim().strip_prefix("rules ").expect("`rules …` line").split(' ').filter(|r| *r != "none").collect();
        if wanted.is_empty() {
            safe += 1
        } else {
            hazardous += 1
        }
        let mut files: Vec<_> =
            std::fs::read_dir(case.join("m")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        let change = files.last().expect("a change file").clone();
        let out = common::run(case, &["lint", "--hazards", "--format", "json", "-d", "m"]);
        if out.status.code() != Some(0) {
            failures.push(format!("{name}: exit {:?}\n{}", out.status.code(), common::all_output(&out)));
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
        let mut got: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().is_some_and(|p| p.ends_with(&change)) && RULES.contains(&f["code"].as_str().unwrap_or("")))
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        got.dedup();
        if got != wanted {
            failures.push(format!("{name}: expected {wanted:?}, found {got:?}"));
        }
        let denied = common::run(case, &["lint", "--hazards", "--deny-hazards", "-d", "m"]).status.code();
        let any_hazard = doc["findings"].as_array().unwrap().iter().any(|f| RULES.contains(&f["code"].as_str().unwrap_or("")));
        if denied != Some(if any_hazard { 1 } else { 0 }) {
            failures.push(format!("{name}: --deny-hazards exit {denied:?}"));
        }
    }
    assert!(hazardous >= 20 && safe >= 20, "{hazardous} hazard cases, {safe} safe ones");
    // --since keeps the hazards of newer files only (the base is still read to know the chain).
    let case = corpus.join("h05_int_to_bigint");
    let since = |version: &str| common::all_output(&common::run(&case, &["lint", "--hazards", "--since", version, "-d", "m"]));
    assert!(since("1").contains("warning[table-rewrite]") && !since("2").contains("warning[table-rewrite]"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
