//! `backups restore NAME`: one kept table or column put back where it was, by the script the
//! surgery recorded for it — run first on a throwaway copy of the live schema (so a name taken
//! since, or a definition that no longer fits, fails there), then on the live database in one
//! transaction under the surgery's lock_timeout and retries.

use tokio_postgres::Client;

use super::read::{Kept, KeptKind, KeptState, SquashBackups};
use crate::drift::{Reader, SourceError};
use crate::ledger::DatabaseUrl;
use crate::migration::RoleUse;
use crate::sql::{parse_qualified, quote_ident};
use crate::squash::ALREADY_DONE_SQLSTATE;

/// Why a restore did not happen. Nothing was changed in the live database in any case.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No kept object has that name.
    #[error("no squash backup of `{name}` in this database (kept: {}); `squashmate backups list` shows them", if known.is_empty() { "nothing".to_string() } else { known.join(", ") })]
    NotFound {
        /// The name asked for.
        name: String,
        /// The kept objects' original names.
        known: Vec<String>,
    },
    /// More than one kept object fits the name.
    #[error("`{name}` fits several backups ({}); give the qualified name or the backup's name", candidates.join(", "))]
    Ambiguous {
        /// The name asked for.
        name: String,
        /// The backups it fits.
        candidates: Vec<String>,
    },
    /// It was put back already.
    #[error("{original} was restored already (at {at})")]
    AlreadyRestored {
        /// The object.
        original: String,
        /// When, if known.
        at: String,
    },
    /// Its backup is gone.
    #[error("the backup {backup} of {original} is gone (dropped outside squashmate): there is nothing to restore from")]
    Missing {
        /// The object.
        original: String,
        /// The backup.
        backup: String,
    },
    /// The script failed on the throwaway copy of the schema.
    #[error(
        "restoring {original} fails on a copy of this database's schema, so it was not tried on the database itself: {message}\n  Fix what is in its way (the error names it), then run `backups restore` again."
    )]
    Proof {
        /// The object.
        original: String,
        /// Why.
        message: String,
    },
    /// The script failed on the live database (its transaction changed nothing).
    #[error("restoring {original} failed; its transaction changed nothing: {message}")]
    Live {
        /// The object.
        original: String,
        /// Why.
        message: String,
    },
    /// Making the throwaway copy failed.
    #[error("the throwaway copy of the schema to prove the restore on could not be made: {0}")]
    Copy(#[from] SourceError),
    /// A query failed.
    #[error(transparent)]
    Sql(#[from] tokio_postgres::Error),
}

/// The kept object `name` names: its original name or its backup's, qualified or by its last
/// parts (`sessions`, `agents.legacy`), among those not restored yet when several fit.
pub fn find_kept<'a>(squashes: &'a [SquashBackups], name: &str) -> Result<(&'a SquashBackups, &'a Kept), RestoreError> {
    let wanted = parse_qualified(name).map_err(|_| RestoreError::NotFound { name: name.into(), known: Vec::new() })?;
    let fits = |sql_name: &str| parse_qualified(sql_name).is_ok_and(|parts| parts.ends_with(&wanted));
    let all: Vec<(&SquashBackups, &Kept)> =
        squashes.iter().flat_map(|s| s.kept.iter().map(move |k| (s, k))).filter(|(_, k)| fits(&k.original) || fits(&k.backup)).collect();
    let unrestored: Vec<_> = all.iter().filter(|(_, k)| !matches!(k.state, KeptState::Restored { .. })).copied().collect();
    let candidates = if unrestored.is_empty() { all } else { unrestored };
    match candidates.as_slice() {
        [] => Err(RestoreError::NotFound {
            name: name.into(),
            known: squashes.iter().flat_map(|s| s.kept.iter().map(|k| k.original.clone())).collect(),
        }),
        [one] => Ok(*one),
        many => Err(RestoreError::Ambiguous { name: name.into(), candidates: many.iter().map(|(_, k)| k.backup.clone()).collect() }),
    }
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The object put back.
    pub original: String,
    /// A table's rows, or a column's non-NULL values, now in place.
    pub rows: i64,
    /// Whether the squash's rollback was still possible before (it is not now).
    pub ended_rollback: bool,
}

/// Puts `kept` (of `squash`) back in the live database at `url` (`live` connected to it),
/// proven first on a copy of its schema on `reader`'s throwaway server.
pub async fn restore(
    live: &Client,
    url: &DatabaseUrl,
    reader: &Reader,
    squash: &SquashBackups,
    kept: &Kept,
) -> Result<Restored, RestoreError> {
    match &kept.state {
        KeptState::Restored { at } => return Err(RestoreError::AlreadyRestored { original: kept.original.clone(), at: at.clone() }),
        KeptState::Missing => return Err(RestoreError::Missing { original: kept.original.clone(), backup: kept.backup.clone() }),
        KeptState::Kept { .. } => {}
    }
    prove_on_copy(url, reader, squash, kept).await?;
    if let Err(e) = live.batch_execute(&kept.restore_script).await {
        let _ = live.batch_execute("ROLLBACK").await;
        return Err(match e.as_db_error() {
            Some(db) if db.code().code() == ALREADY_DONE_SQLSTATE => {
                RestoreError::AlreadyRestored { original: kept.original.clone(), at: "just now, by another session".into() }
            }
            _ => RestoreError::Live { original: kept.original.clone(), message: crate::report::with_causes(&e) },
        });
    }
    let rows = back_in_place(live, kept).await?.unwrap_or(0);
    Ok(Restored { original: kept.original.clone(), rows, ended_rollback: squash.rollback_possible })
}

/// The restore script on a schema-only copy of the live database (the record's row put in,
/// the roles it grants to made): it must run and leave the object in place.
async fn prove_on_copy(url: &DatabaseUrl, reader: &Reader, squash: &SquashBackups, kept: &Kept) -> Result<(), RestoreError> {
    let copy = reader.schema_copy(url).await?;
    let client = reader.server().await?.connect(&copy).await.map_err(SourceError::from)?;
    let proof = async {
        let roles = crate::setup::Setup::default().roles_needed(&[RoleUse::of(&kept.restore_script)]);
        for role in roles {
            client.batch_execute(&role.create_if_missing_sql()).await?;
        }
        let kind = match kept.kind {
            KeptKind::Table => "table",
            KeptKind::Column => "column",
        };
        client
            .execute(
                &format!(
                    "INSERT INTO {} (backup, kind, original, row_key, baseline_version, squashed_versions, restore_script) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    squash.record
                ),
                &[&kept.backup, &kind, &kept.original, &kept.row_key, &squash.baseline_version, &squash.squashed_versions, &kept.restore_script],
            )
            .await?;
        client.batch_execute(&kept.restore_script).await?;
        back_in_place(&client, kept).await
    }
    .await;
    match proof {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            Err(RestoreError::Proof { original: kept.original.clone(), message: "the script ran but the object is not back".into() })
        }
        Err(e) => Err(RestoreError::Proof { original: kept.original.clone(), message: crate::report::with_causes(&e) }),
    }
}

/// `Some(rows)` when `kept` is back under its name: a table's rows, a column's non-NULL values.
async fn back_in_place(client: &Client, kept: &Kept) -> Result<Option<i64>, tokio_postgres::Error> {
    let parts = parse_qualified(&kept.original).unwrap_or_default();
    let (table, column) = match (kept.kind, parts.as_slice()) {
        (KeptKind::Table, [schema, table]) => (format!("{}.{}", quote_ident(schema), quote_ident(table)), None),
        (KeptKind::Column, [schema, table, column]) => (format!("{}.{}", quote_ident(schema), quote_ident(table)), Some(column.clone())),
        _ => return Ok(None),
    };
    let present: bool = client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL AND ($2::text IS NULL OR EXISTS (
                SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped))",
            &[&table, &column],
        )
        .await?
        .get(0);
    if !present {
        return Ok(None);
    }
    let counted = match &column {
        Some(column) => format!("SELECT count({}) FROM {table}", quote_ident(column)),
        None => format!("SELECT count(*) FROM {table}"),
    };
    Ok(Some(client.query_one(&counted, &[]).await?.get(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::squash::TableName;
    use std::time::Duration;

    fn kept(original: &str, backup: &str, state: KeptState) -> Kept {
        Kept {
            kind: KeptKind::Table,
            original: original.into(),
            backup: backup.into(),
            row_key: vec![],
            state,
            restore_script: String::new(),
        }
    }

    fn squash(kept: Vec<Kept>) -> SquashBackups {
        SquashBackups {
            record: TableName { schema: "public".into(), name: "squashmate_record_20260101".into() },
            baseline_version: "00000000000000".into(),
            squashed_versions: vec![],
            made_at: String::new(),
            age: Duration::ZERO,
            rollback_possible: false,
            kept,
        }
    }

    #[test]
    fn a_name_finds_its_backup_by_original_or_backup_name_or_its_last_parts() {
        let present = KeptState::Kept { rows: 0, bytes: 0, size: "0 bytes".into() };
        let squashes = [squash(vec![
            kept("public.sessions", "public.sessions_squashed_20260101", present.clone()),
            kept("public.\"Agents\".legacy", "public.\"Agents__legacy_squashed_20260101\"", present.clone()),
            kept("audit.sessions", "audit.sessions_squashed_20260101", present),
        ])];
        assert_eq!(find_kept(&squashes, "public.sessions").unwrap().1.backup, "public.sessions_squashed_20260101");
        assert_eq!(find_kept(&squashes, "\"Agents\".legacy").unwrap().1.original, "public.\"Agents\".legacy");
        assert_eq!(
            find_kept(&squashes, "sessions_squashed_20260101").unwrap_err().to_string(),
            "`sessions_squashed_20260101` fits several backups (public.sessions_squashed_20260101, audit.sessions_squashed_20260101); give the qualified name or the backup's name"
        );
        assert!(matches!(find_kept(&squashes, "sessions"), Err(RestoreError::Ambiguous { .. })));
        assert!(matches!(find_kept(&squashes, "agents.legacy"), Err(RestoreError::NotFound { .. })), "unquoted folds to lower case");
        let missing = find_kept(&squashes, "nothing_like_it").unwrap_err().to_string();
        assert!(missing.contains("kept: public.sessions, public.\"Agents\".legacy, audit.sessions"), "{missing}");
    }

    #[test]
    fn a_restored_backup_gives_way_to_one_still_kept_of_the_same_name() {
        let present = KeptState::Kept { rows: 0, bytes: 0, size: "0 bytes".into() };
        let restored = KeptState::Restored { at: "2026-01-02 00:00:00 UTC".into() };
        let squashes = [
            squash(vec![kept("public.sessions", "squashmate_backup_20250101.sessions", restored)]),
            squash(vec![kept("public.sessions", "squashmate_backup_20260101.sessions", present)]),
        ];
        assert_eq!(find_kept(&squashes, "public.sessions").unwrap().1.backup, "squashmate_backup_20260101.sessions");
    }
}
