//! `backups drop --older-than D`: the backups of squashes older than D dropped with their record
//! — never while the ledger still allows that squash's rollback (unless forced), and only after
//! a pg_dump of exactly what goes was written; one transaction under the surgery's lock rules.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_postgres::Client;

use super::read::{KeptState, SquashBackups, rollback_possible_sql};
use crate::ledger::{DatabaseUrl, LedgerTable};
use crate::sql::{quote_ident, quote_literal};
use crate::squash::{LockPolicy, lock_up_front};

/// Which squashes' backups go, and which are refused.
#[derive(Debug)]
pub struct DropSelection<'a> {
    /// Old enough, and no rollback needs them (or forced).
    pub dropping: Vec<&'a SquashBackups>,
    /// Old enough, but their rollback is still possible and `--force` was not given.
    pub refused: Vec<&'a SquashBackups>,
}

/// The squashes whose surgery ran at least `older_than` ago, split into what may be dropped
/// and what a possible rollback still needs (dropped too when `force`).
pub fn select_older_than(squashes: &[SquashBackups], older_than: Duration, force: bool) -> DropSelection<'_> {
    let (refused, dropping) = squashes.iter().filter(|s| s.age >= older_than).partition(|s| s.rollback_possible && !force);
    DropSelection { dropping, refused }
}

/// Why a drop did not happen; the live database is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum DropError {
    /// No pg_dump here can dump the server.
    #[error(
        "no pg_dump of PostgreSQL {major} or newer here to save the backups first; `squashmate pg install {major}` or install its client"
    )]
    NoPgDump {
        /// The server's major.
        major: u32,
    },
    /// pg_dump failed.
    #[error("pg_dump of the backups failed, so nothing was dropped: {0}")]
    Dump(String),
    /// The dump could not be written.
    #[error("writing {}: {source}; nothing was dropped", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The drop's transaction failed.
    #[error("dropping the backups failed; its transaction changed nothing (the dump {} is kept): {message}", dump.display())]
    Live {
        /// The dump written first.
        dump: PathBuf,
        /// Why.
        message: String,
    },
    /// A query failed.
    #[error(transparent)]
    Sql(#[from] tokio_postgres::Error),
}

/// What a drop did.
#[derive(Debug, Clone)]
pub struct Dropped {
    /// The pg_dump of everything dropped (restore with `psql -f`).
    pub dump: PathBuf,
    /// Backup tables dropped.
    pub tables: usize,
    /// Their rows.
    pub rows: i64,
}

/// The transaction that drops `dropping`'s backups and records (the backup schema too when it
/// is left empty). Unless `force`, it checks first that no rollback became possible since the
/// backups were read; a backup gone since makes it fail, changing nothing.
pub fn drop_script(dropping: &[&SquashBackups], ledger: &LedgerTable, locks: &LockPolicy, force: bool, dump: &Path) -> String {
    const SCRIPT: &str = "backups drop";
    let mut out = String::new();
    let _ = writeln!(out, "-- squashmate backups drop; a pg_dump of what goes was written to {} first.", dump.display());
    let _ = writeln!(out, "BEGIN;\nSET LOCAL search_path = '';");
    let tables: Vec<String> =
        dropping.iter().flat_map(|s| s.still_kept().map(|k| k.backup.clone()).chain(std::iter::once(s.record.sql()))).collect();
    lock_up_front(&mut out, SCRIPT, locks, tables, &ledger.qualified());
    if !force {
        // Dynamic, so that a database without the ledger table (no rollback possible) parses it.
        let _ = writeln!(
            out,
            "DO $squashmate$\nDECLARE\n  possible boolean;\nBEGIN\n  IF to_regclass({}) IS NOT NULL THEN",
            quote_literal(&ledger.qualified())
        );
        for squash in dropping {
            let condition = rollback_possible_sql(ledger, &squash.record, &squash.baseline_version, &squash.squashed_versions);
            let message = format!(
                "squashmate {SCRIPT}: the rollback of the squash onto baseline {} is possible again, and needs its backups; nothing was dropped",
                squash.baseline_version
            );
            let _ = writeln!(
                out,
                "    EXECUTE {} INTO possible;\n    IF possible THEN\n      RAISE EXCEPTION '%', {};\n    END IF;",
                quote_literal(&format!("SELECT {condition}")),
                quote_literal(&message)
            );
        }
        let _ = writeln!(out, "  END IF;\nEND\n$squashmate$;");
    }
    for squash in dropping {
        for kept in squash.still_kept() {
            let _ = writeln!(out, "DROP TABLE {};", kept.backup);
        }
        let _ = writeln!(out, "DROP TABLE {};", squash.record);
        if squash.in_backup_schema() {
            let schema = quote_ident(&squash.record.schema);
            let _ = writeln!(
                out,
                "DO $squashmate$\nBEGIN\n  EXECUTE {};\nEXCEPTION WHEN dependent_objects_still_exist THEN\n  RAISE NOTICE 'squashmate {SCRIPT}: schema % is kept: it holds objects squashmate did not put there', {};\nEND\n$squashmate$;",
                quote_literal(&format!("DROP SCHEMA {schema}")),
                quote_literal(&squash.record.schema)
            );
        }
    }
    let _ = writeln!(out, "COMMIT;");
    out
}

/// Where the dump of `url`'s dropped backups goes in `dir`: the database's name, a short hash
/// of its URL (two servers' databases of one name differ), and the UTC time.
pub fn dump_path(dir: &Path, url: &DatabaseUrl, now: chrono::DateTime<chrono::Utc>) -> PathBuf {
    let tag = blake3::hash(url.redacted().as_bytes()).to_hex();
    let name: String = url.database().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    dir.join(format!("{name}-{}-squashmate-backups-{}.sql", &tag[..8], now.format("%Y%m%dT%H%M%SZ")))
}

/// Dumps `dropping`'s backups and records (pg_dump, a schema style backup's whole schema) into
/// a new file in `dump_dir`, then runs [`drop_script`] on `live`.
pub async fn drop_selected(
    live: &Client,
    url: &DatabaseUrl,
    ledger: &LedgerTable,
    dropping: &[&SquashBackups],
    force: bool,
    dump_dir: &Path,
) -> Result<Dropped, DropError> {
    let number: String = live.query_one("SHOW server_version_num", &[]).await?.get(0);
    let major = number.parse::<u32>().unwrap_or(0) / 10000;
    let (program, _) = crate::server::pg_dump_for(None, major).ok_or(DropError::NoPgDump { major })?;
    let mut args = Vec::new();
    for squash in dropping {
        if squash.in_backup_schema() {
            args.push(format!("--schema={}", quote_ident(&squash.record.schema)));
        } else {
            args.extend(squash.still_kept().map(|k| format!("--table={}", k.backup)));
            args.push(format!("--table={}", squash.record.sql()));
        }
    }
    let text = crate::dump::pg_dump_of(&program, url, &args).await.map_err(|e| DropError::Dump(e.to_string()))?;
    // A newer pg_dump's settings (`SET transaction_timeout`) made only where the server has
    // them, so `psql -f` puts the backups back on the server they came from.
    let text = crate::dump::guard_newer_settings(&text);
    let dump = dump_path(dump_dir, url, chrono::Utc::now());
    std::fs::create_dir_all(dump_dir).map_err(|source| DropError::Io { path: dump_dir.to_path_buf(), source })?;
    write_durably(&dump, text.as_bytes()).map_err(|source| DropError::Io { path: dump.clone(), source })?;
    let script = drop_script(dropping, ledger, &LockPolicy::default(), force, &dump);
    if let Err(e) = live.batch_execute(&script).await {
        let _ = live.batch_execute("ROLLBACK").await;
        return Err(DropError::Live { dump, message: crate::report::with_causes(&e) });
    }
    let kept: Vec<_> = dropping.iter().flat_map(|s| s.still_kept()).collect();
    let rows = kept.iter().map(|k| if let KeptState::Kept { rows, .. } = k.state { rows } else { 0 }).sum();
    Ok(Dropped { dump, tables: kept.len(), rows })
}

/// A new file (never one that exists) with `bytes`, on disk before the drop runs.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backups::read::{Kept, KeptKind};
    use crate::squash::TableName;

    fn squash(date: &str, days: u64, rollback_possible: bool, schema_style: bool) -> SquashBackups {
        let record = if schema_style {
            TableName { schema: format!("squashmate_backup_{date}"), name: crate::squash::RECORD_IN_SCHEMA.into() }
        } else {
            TableName { schema: "public".into(), name: format!("squashmate_record_{date}") }
        };
        SquashBackups {
            record,
            baseline_version: format!("{date}000000"),
            squashed_versions: vec!["20240101000000".into()],
            made_at: String::new(),
            age: Duration::from_secs(days * 86_400),
            rollback_possible,
            kept: vec![
                Kept {
                    kind: KeptKind::Table,
                    original: "public.sessions".into(),
                    backup: format!("public.sessions_squashed_{date}"),
                    row_key: vec![],
                    state: KeptState::Kept { rows: 3, bytes: 8192, size: "8192 bytes".into() },
                    restore_script: String::new(),
                },
                Kept {
                    kind: KeptKind::Column,
                    original: "public.users.legacy".into(),
                    backup: format!("public.users__legacy_squashed_{date}"),
                    row_key: vec!["id".into()],
                    state: KeptState::Restored { at: String::new() },
                    restore_script: String::new(),
                },
            ],
        }
    }

    #[test]
    fn only_old_enough_squashes_go_and_a_possible_rollback_keeps_them_unless_forced() {
        let squashes = [squash("20250101", 400, false, false), squash("20260101", 100, true, true), squash("20261101", 10, false, true)];
        let chosen = select_older_than(&squashes, Duration::from_secs(90 * 86_400), false);
        assert_eq!(chosen.dropping.iter().map(|s| s.baseline_version.as_str()).collect::<Vec<_>>(), ["20250101000000"]);
        assert_eq!(chosen.refused.iter().map(|s| s.baseline_version.as_str()).collect::<Vec<_>>(), ["20260101000000"]);
        let forced = select_older_than(&squashes, Duration::from_secs(90 * 86_400), true);
        assert_eq!(forced.dropping.len(), 2);
        assert!(forced.refused.is_empty());
        assert_eq!(select_older_than(&squashes, Duration::ZERO, false).dropping.len(), 2);
    }

    #[test]
    fn the_drop_script_drops_what_is_kept_and_the_record_and_rechecks_the_ledger() {
        let squashes = [squash("20250101", 400, false, false), squash("20260101", 100, false, true)];
        let ledger = LedgerTable::quoted_locally("public", "schema_migrations");
        let dropping: Vec<&SquashBackups> = squashes.iter().collect();
        let script = drop_script(&dropping, &ledger, &LockPolicy::default(), false, Path::new("dumps/app.sql"));
        assert!(script.starts_with("-- squashmate backups drop; a pg_dump of what goes was written to dumps/app.sql first.\nBEGIN;"));
        assert!(
            script.contains("DROP TABLE public.sessions_squashed_20250101;\nDROP TABLE \"public\".\"squashmate_record_20250101\";\n"),
            "{script}"
        );
        assert!(!script.contains("users__legacy"), "a restored column's backup is gone already: {script}");
        assert!(script.contains("EXECUTE 'DROP SCHEMA \"squashmate_backup_20260101\"';"), "{script}");
        assert!(script.contains("the rollback of the squash onto baseline 20250101000000 is possible again"), "{script}");
        assert!(script.contains("EXECUTE 'LOCK TABLE ' || lock_target || CASE"), "{script}");
        assert!(script.trim_end().ends_with("COMMIT;"));
        let forced = drop_script(&dropping, &ledger, &LockPolicy::default(), true, Path::new("dumps/app.sql"));
        assert!(!forced.contains("is possible again"), "{forced}");
    }

    #[test]
    fn dumps_are_named_by_database_url_and_time() {
        let url = DatabaseUrl::parse("postgres://u:secret@db.example:5432/app%20one").unwrap();
        let other = DatabaseUrl::parse("postgres://u:secret@other.example:5432/app%20one").unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-04T10:11:12Z").unwrap().with_timezone(&chrono::Utc);
        let path = dump_path(Path::new("dumps"), &url, at);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("app_one-") && name.ends_with("-squashmate-backups-20261204T101112Z.sql"), "{name}");
        assert_ne!(path, dump_path(Path::new("dumps"), &other, at));
    }
}
