//! Before a squash over a fleet: which targets could not take the surgery (they lack a version
//! it replaces, or could not be read), which hold versions the chain lacks, and the highest
//! version every target has applied — the `--through` that fits them all. Pure.

use std::collections::BTreeSet;

/// One target's ledger, or why it could not be read.
#[derive(Debug, Clone)]
pub struct TargetLedger {
    /// The URL, password hidden.
    pub target: String,
    /// The applied versions, or the error.
    pub ledger: Result<BTreeSet<String>, String>,
}

/// What the fleet's ledgers say about a squash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetVerdict {
    /// Reasons the squash must not go ahead (one per target).
    pub refusals: Vec<String>,
    /// Targets holding versions no migration file has.
    pub unknown: Vec<String>,
    /// The highest chain version every readable target has applied, with all before it.
    pub common: Option<String>,
}

/// Checks `ledgers` against the `chain` (every file's version, in order) when the squash
/// replaces `squashed`.
pub fn check_fleet(chain: &[String], squashed: &[String], ledgers: &[TargetLedger]) -> FleetVerdict {
    let mut verdict = FleetVerdict::default();
    let known: BTreeSet<&String> = chain.iter().collect();
    let mut common = chain.len();
    for target in ledgers {
        let applied = match &target.ledger {
            Ok(applied) => applied,
            Err(why) => {
                verdict.refusals.push(format!("{}: its ledger could not be read ({why})", target.target));
                continue;
            }
        };
        let reached = chain.iter().take_while(|v| applied.contains(*v)).count();
        common = common.min(reached);
        let missing: Vec<&String> = squashed.iter().filter(|v| !applied.contains(*v)).collect();
        if let Some(first) = missing.first() {
            let at = if reached == 0 { "no migration".to_string() } else { chain[reached - 1].clone() };
            verdict.refusals.push(format!(
                "{} is at {at}: it lacks {} version(s) the squash replaces, from {first}; bring it up first, or squash --through an earlier version",
                target.target,
                missing.len()
            ));
        }
        let unknown: Vec<&String> = applied.iter().filter(|v| !known.contains(v)).collect();
        if !unknown.is_empty() {
            verdict.unknown.push(format!(
                "{} has applied {} version(s) no migration file has: {} (deleted, or never merged?)",
                target.target,
                unknown.len(),
                unknown.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    verdict.common = common.checked_sub(1).map(|i| chain[i].clone());
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(target: &str, versions: &[&str]) -> TargetLedger {
        TargetLedger { target: target.into(), ledger: Ok(versions.iter().map(|v| v.to_string()).collect()) }
    }

    #[test]
    fn lagging_unreadable_and_unknown_targets_are_named() {
        let chain: Vec<String> = ["1", "2", "3", "4"].map(String::from).to_vec();
        let all = ledger("a", &["1", "2", "3", "4"]);
        let verdict = check_fleet(&chain, &chain[..3], &[all.clone(), ledger("b", &["1", "2", "9"])]);
        assert_eq!(
            verdict.refusals,
            ["b is at 2: it lacks 1 version(s) the squash replaces, from 3; bring it up first, or squash --through an earlier version"]
        );
        assert_eq!(verdict.unknown, ["b has applied 1 version(s) no migration file has: 9 (deleted, or never merged?)"]);
        assert_eq!(verdict.common.as_deref(), Some("2"));
        let verdict = check_fleet(&chain, &chain[..2], &[all, TargetLedger { target: "c".into(), ledger: Err("refused".into()) }]);
        assert_eq!(verdict.refusals, ["c: its ledger could not be read (refused)"]);
        assert_eq!(verdict.common.as_deref(), Some("4"));
    }
}
