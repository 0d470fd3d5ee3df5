//! `backups list` as people read it: per squash, when it ran, whether its rollback still needs
//! the backups, and each kept table or column with its rows and size; and the one line a fleet
//! table shows per database. Pure text from what was read.

use std::fmt::Write;
use std::time::Duration;

use super::read::{KeptKind, KeptState, SquashBackups};

/// The listing of one database's backups, and of what looks like backups but no record lists.
pub fn render_list(squashes: &[SquashBackups], unrecorded: &[String]) -> String {
    let mut out = String::new();
    if !unrecorded.is_empty() {
        let _ = writeln!(
            out,
            "Unrecorded (squash backups from before surgeries kept a record, or made by hand; look, then pg_dump and drop them yourself): {}",
            unrecorded.join(", ")
        );
    }
    if squashes.is_empty() {
        out.push_str("No squash backups: no surgery recorded anything it kept in this database.\n");
        return out;
    }
    for squash in squashes {
        let (first, last) = (squash.squashed_versions.first(), squash.squashed_versions.last());
        let _ = writeln!(
            out,
            "Squash onto baseline {} ({} version(s), {}..{}), surgery at {} ({} ago); record {}",
            squash.baseline_version,
            squash.squashed_versions.len(),
            first.map_or("", String::as_str),
            last.map_or("", String::as_str),
            squash.made_at,
            age_text(squash.age),
            squash.record.readable()
        );
        let _ = writeln!(
            out,
            "  rollback: {}",
            if squash.rollback_possible {
                "still possible: the ledger holds the baseline in place of the squashed versions and every backup is in place; `backups drop` refuses these without --force"
            } else {
                "no longer possible (the ledger has moved on, or a backup was restored or removed): the backups are kept only for you"
            }
        );
        for kept in &squash.kept {
            let what = match kept.kind {
                KeptKind::Table => format!("table  {}", kept.original),
                KeptKind::Column => format!("column {} (row key {})", kept.original, kept.row_key.join(", ")),
            };
            let state = match &kept.state {
                KeptState::Kept { rows, size, .. } => format!("{} · {rows} row(s), {size}", kept.backup),
                KeptState::Restored { at } => format!("restored at {at}"),
                KeptState::Missing => format!("{} is missing (dropped outside squashmate)", kept.backup),
            };
            let _ = writeln!(out, "  {what} → {state}");
        }
    }
    let _ = writeln!(
        out,
        "Put one back: `squashmate backups restore NAME`. Drop old ones (a pg_dump of them first): `squashmate backups drop --older-than 90d --apply`."
    );
    out
}

/// One line for a fleet's results table: how much is kept, and whether a rollback needs it.
pub fn summary_line(squashes: &[SquashBackups]) -> String {
    let kept: Vec<_> = squashes.iter().flat_map(SquashBackups::still_kept).collect();
    if squashes.is_empty() {
        return "no squash backups".into();
    }
    let rows: i64 = kept.iter().map(|k| if let KeptState::Kept { rows, .. } = k.state { rows } else { 0 }).sum();
    let bytes: i64 = kept.iter().map(|k| if let KeptState::Kept { bytes, .. } = k.state { bytes } else { 0 }).sum();
    let needed = squashes.iter().filter(|s| s.rollback_possible).count();
    format!(
        "{} backup(s) of {} squash(es), {rows} row(s), {bytes} bytes; {}",
        kept.len(),
        squashes.len(),
        if needed == 0 { "no rollback needs them".to_string() } else { format!("{needed} rollback(s) still possible") }
    )
}

/// An age in its largest whole units (`3 days`, `5 hours`, `12 minutes`, `40 seconds`).
fn age_text(age: Duration) -> String {
    let secs = age.as_secs();
    let (n, unit) = match secs {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backups::read::Kept;
    use crate::squash::TableName;

    fn squash(rollback_possible: bool) -> SquashBackups {
        SquashBackups {
            record: TableName { schema: "squashmate_backup_20260101".into(), name: "squashmate_record".into() },
            baseline_version: "00000000000000".into(),
            squashed_versions: vec!["20240101000000".into(), "20240201000000".into()],
            made_at: "2026-01-01 10:00:00 UTC".into(),
            age: Duration::from_secs(3 * 86_400 + 5),
            rollback_possible,
            kept: vec![
                Kept {
                    kind: KeptKind::Table,
                    original: "public.sessions".into(),
                    backup: "squashmate_backup_20260101.sessions".into(),
                    row_key: vec![],
                    state: KeptState::Kept { rows: 12, bytes: 16_384, size: "16 kB".into() },
                    restore_script: String::new(),
                },
                Kept {
                    kind: KeptKind::Column,
                    original: "public.agents.legacy".into(),
                    backup: "squashmate_backup_20260101.agents__legacy".into(),
                    row_key: vec!["tenant_id".into(), "id".into()],
                    state: KeptState::Restored { at: "2026-01-02 09:00:00 UTC".into() },
                    restore_script: String::new(),
                },
            ],
        }
    }

    #[test]
    fn the_listing_says_when_what_where_and_whether_the_rollback_needs_it() {
        insta::assert_snapshot!(render_list(&[squash(true)], &[]), @r"
        Squash onto baseline 00000000000000 (2 version(s), 20240101000000..20240201000000), surgery at 2026-01-01 10:00:00 UTC (3 days ago); record squashmate_backup_20260101.squashmate_record
          rollback: still possible: the ledger holds the baseline in place of the squashed versions and every backup is in place; `backups drop` refuses these without --force
          table  public.sessions → squashmate_backup_20260101.sessions · 12 row(s), 16 kB
          column public.agents.legacy (row key tenant_id, id) → restored at 2026-01-02 09:00:00 UTC
        Put one back: `squashmate backups restore NAME`. Drop old ones (a pg_dump of them first): `squashmate backups drop --older-than 90d --apply`.
        ");
        assert!(render_list(&[], &[]).starts_with("No squash backups"));
        let old = render_list(&[], &["schema squashmate_backup_20240101".into()]);
        assert!(old.starts_with("Unrecorded (") && old.contains(": schema squashmate_backup_20240101\nNo squash backups"), "{old}");
    }

    #[test]
    fn the_fleet_line_counts_only_what_is_still_kept() {
        assert_eq!(summary_line(&[squash(false)]), "1 backup(s) of 1 squash(es), 12 row(s), 16384 bytes; no rollback needs them");
        assert_eq!(summary_line(&[squash(true)]), "1 backup(s) of 1 squash(es), 12 row(s), 16384 bytes; 1 rollback(s) still possible");
        assert_eq!(summary_line(&[]), "no squash backups");
    }

    #[test]
    fn ages_read_in_their_largest_unit() {
        assert_eq!(age_text(Duration::from_secs(59)), "59 seconds");
        assert_eq!(age_text(Duration::from_secs(60)), "1 minute");
        assert_eq!(age_text(Duration::from_secs(7_300)), "2 hours");
        assert_eq!(age_text(Duration::from_secs(86_400)), "1 day");
    }
}
