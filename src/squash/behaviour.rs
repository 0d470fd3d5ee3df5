//! Retirement proven on behaviour, not only on the schema. Backups must be inert: nothing kept
//! depends on them, and they constrain, trigger on and cascade into nothing kept. And the same
//! workload must behave the same on "old chain + surgery" and on a fresh baseline: sample rows
//! in every kept table (then in the backups of retired tables, on the old chain's side only:
//! writing a backup must reach nothing kept), a row of each kept table updated and one deleted
//! (parents first, so cascades and restricts fire), then the user's own workload; each
//! statement's outcome (rows affected, or the error's SQLSTATE) and the rows left in every kept
//! table compared. Both sides run in a transaction that is rolled back.

use std::collections::BTreeMap;
use std::fmt::Write;

use tokio_postgres::Client;

use super::links::OWNER;
use super::scripts::ScriptInput;
use crate::report::with_causes;
use crate::seed::{Borrowed, LeftAlone, Seeded, lend, seed, tables_parents_first};

/// What links a backup to something kept, as people read it (empty: the backups are inert).
pub async fn backups_inert(client: &Client, scripts: &ScriptInput<'_>) -> Result<Vec<String>, tokio_postgres::Error> {
    let tables: Vec<String> = scripts.backups().iter().map(|t| t.sql()).collect();
    let schema = if scripts.backup == super::plan::BackupStyle::Schema { scripts.backup_schema() } else { String::new() };
    let sql = format!(
        "WITH b AS (SELECT c.oid, c.reltype FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p') AND (n.nspname = $1 OR quote_ident(n.nspname) || '.' || quote_ident(c.relname) = ANY ($2)))
         SELECT format('foreign key %I of %s onto %s', conname, conrelid::regclass, confrelid::regclass) AS link FROM pg_catalog.pg_constraint
          WHERE contype = 'f' AND (conrelid IN (SELECT oid FROM b)) <> (confrelid IN (SELECT oid FROM b))
         UNION ALL
         SELECT format('trigger %I on backup %s', tgname, tgrelid::regclass) FROM pg_catalog.pg_trigger
          WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM b)
         UNION ALL
         SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' depends on backup ' || (SELECT oid::regclass::text FROM b WHERE b.oid = d.refobjid OR b.reltype = d.refobjid)
          FROM (SELECT d.*, {OWNER} AS owner FROM pg_catalog.pg_depend d WHERE d.deptype = 'n'
                  AND ((d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid IN (SELECT oid FROM b))
                    OR (d.refclassid = 'pg_catalog.pg_type'::regclass AND d.refobjid IN (SELECT reltype FROM b)))) d
          WHERE NOT coalesce(d.owner IN (SELECT oid FROM b), false)
         ORDER BY 1"
    );
    Ok(client.query(&sql, &[&schema, &tables]).await?.iter().map(|r| r.get(0)).collect())
}

/// What the user gives the behavioural proof: statements of their own, and rows borrowed from a
/// database of theirs (both sides get them before the sample rows).
#[derive(Debug, Clone, Copy)]
pub struct UserWorkload<'a> {
    /// The workload file's statements.
    pub statements: &'a [String],
    /// Rows from `--sample-from`.
    pub borrowed: &'a Borrowed,
}

/// How one statement of the workload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// It ran; rows affected.
    Ran(u64),
    /// It failed with this SQLSTATE (and message, shown, not compared).
    Failed(String, String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Ran(rows) => write!(f, "{rows} row(s)"),
            Outcome::Failed(code, message) => write!(f, "error {code} ({message})"),
        }
    }
}

/// What the workload did on one side.
#[derive(Debug, Default)]
struct Trace {
    seeded: Seeded,
    outcomes: Vec<Outcome>,
    /// Kept table → rows left (count and digest; date/time values read as NULL or not, since
    /// both sides write `now()` at different instants).
    rows: BTreeMap<String, String>,
    /// The backups whose rows the workload changed (on the old chain's side: a backup keeps
    /// every row whatever the application does).
    backups_changed: Vec<String>,
}

/// One kept table as the workload touches it.
#[derive(Debug, Clone)]
struct Target {
    /// Qualified, quoted.
    name: String,
    /// What picks "the first row" the same way on both sides (the table is `t`).
    order: String,
    /// `SET c = c` for an ordinary column (fires the update triggers), if it has one.
    touch: Option<String>,
    /// The row's text for the digest.
    row_text: String,
}

/// The statements of the workload (the same text on both sides).
#[derive(Debug, Clone, Default)]
pub struct Workload {
    targets: Vec<Target>,
    statements: Vec<String>,
}

impl Workload {
    fn build(targets: Vec<Target>, user: &[String]) -> Workload {
        let update = targets.iter().filter_map(|t| {
            t.touch.as_ref().map(|set| {
                format!("UPDATE {n} SET {set} WHERE ctid = (SELECT t.ctid FROM {n} t ORDER BY {o} LIMIT 1)", n = t.name, o = t.order)
            })
        });
        let delete = targets
            .iter()
            .map(|t| format!("DELETE FROM {n} WHERE ctid = (SELECT t.ctid FROM {n} t ORDER BY {o} LIMIT 1)", n = t.name, o = t.order));
        let statements = update.chain(delete).chain(user.iter().cloned()).collect();
        Workload { targets, statements }
    }
}

/// The kept tables of `client`'s database (those `left_alone` aside), parents first, each with
/// the row order, the touching update and the row text the workload uses.
async fn targets(client: &Client, left_alone: &LeftAlone<'_>) -> Result<Vec<Target>, tokio_postgres::Error> {
    let mut targets = Vec::new();
    for name in tables_parents_first(client, left_alone).await? {
        let row = client
            .query_one(
                "WITH cols AS (
                   SELECT a.attnum, quote_ident(a.attname) AS col, a.attname::text AS name,
                          t.typcategory = 'D' OR t.typname IN ('time', 'timetz') AS clock,
                          a.attidentity = '' AND a.attgenerated = '' AS settable,
                          EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS key
                   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                   WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped)
                 SELECT (SELECT string_agg(col, ', ' ORDER BY attnum) FROM cols WHERE key) AS key,
                        (SELECT col || ' = ' || col FROM cols WHERE settable ORDER BY key, attnum LIMIT 1) AS touch,
                        coalesce((SELECT string_agg(quote_literal(name), ', ') FROM cols WHERE clock), '') AS clock_names,
                        coalesce((SELECT string_agg(format('%L, t.%s IS NULL', name, col), ', ') FROM cols WHERE clock), '') AS clock_nulls",
                &[&name],
            )
            .await?;
        let clock_names: String = row.get("clock_names");
        let clock_nulls: String = row.get("clock_nulls");
        let row_text = if clock_names.is_empty() {
            "to_jsonb(t)::text".to_string()
        } else {
            format!("((to_jsonb(t) - ARRAY[{clock_names}]::text[]) || jsonb_build_object({clock_nulls}))::text")
        };
        let order = row.get::<_, Option<String>>("key").unwrap_or_else(|| row_text.clone());
        targets.push(Target { name, order, touch: row.get("touch"), row_text });
    }
    Ok(targets)
}

/// Runs `workload` on `client` (seeding with `left_alone`; on the old chain's side, the backups
/// of `retired` get rows too), in a transaction rolled back at the end.
async fn run(
    client: &Client,
    workload: &Workload,
    borrowed: &Borrowed,
    left_alone: &LeftAlone<'_>,
    retired: Option<&LeftAlone<'_>>,
) -> Result<Trace, tokio_postgres::Error> {
    client.batch_execute("BEGIN").await?;
    let lent = lend(client, borrowed, left_alone).await?;
    let mut trace = Trace { seeded: seed(client, 3, left_alone).await?, ..Trace::default() };
    trace.seeded.absorb(lent);
    let backups = match retired {
        Some(backups) => {
            seed(client, 3, backups).await?;
            tables_parents_first(client, backups).await?
        }
        None => Vec::new(),
    };
    let before = digests(client, backups.iter().map(|b| (b.as_str(), "to_jsonb(t)::text"))).await?;
    trace.outcomes = run_statements(client, &workload.statements).await?;
    let after = digests(client, backups.iter().map(|b| (b.as_str(), "to_jsonb(t)::text"))).await?;
    trace.backups_changed = before
        .iter()
        .filter(|(table, rows)| after.get(*table) != Some(rows))
        .map(|(table, rows)| format!("{table}: {rows} → {}", after.get(table).map_or("missing", String::as_str)))
        .collect();
    trace.rows = digests(client, workload.targets.iter().map(|t| (t.name.as_str(), t.row_text.as_str()))).await?;
    client.batch_execute("ROLLBACK").await?;
    Ok(trace)
}

/// Each table's rows as a count and a digest of `row_text` (an expression over the row `t`).
async fn digests<'t>(
    client: &Client,
    tables: impl Iterator<Item = (&'t str, &'t str)>,
) -> Result<BTreeMap<String, String>, tokio_postgres::Error> {
    let mut rows = BTreeMap::new();
    for (table, row_text) in tables {
        let sql = format!(
            "SELECT count(*)::text || ' row(s), md5 ' || md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) FROM (SELECT {row_text} AS r FROM {table} t) rows"
        );
        rows.insert(table.to_string(), client.query_one(&sql, &[]).await?.get(0));
    }
    Ok(rows)
}

/// Runs each of `statements` behind its own savepoint (a failure undoes only itself), in the
/// transaction under way.
async fn run_statements(client: &Client, statements: &[String]) -> Result<Vec<Outcome>, tokio_postgres::Error> {
    let mut outcomes = Vec::new();
    for statement in statements {
        client.batch_execute("SAVEPOINT squashmate_workload").await?;
        let outcome = match client.execute(statement.as_str(), &[]).await {
            Ok(rows) => Outcome::Ran(rows),
            Err(e) => {
                client.batch_execute("ROLLBACK TO SAVEPOINT squashmate_workload").await?;
                let code = e.code().map_or_else(|| "?".to_string(), |c| c.code().to_string());
                Outcome::Failed(code, with_causes(&e).replace('\n', " "))
            }
        };
        client.batch_execute("RELEASE SAVEPOINT squashmate_workload").await?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The user's statements that ran on the old chain (`old_chain`, before any surgery) but fail
/// on the fresh baseline with an error of class 42 — a table, column or function that is no
/// longer there: the application still uses what was retired. Each side in a transaction
/// rolled back.
async fn still_used(old_chain: &Client, fresh: &Client, user: &[String]) -> Result<Vec<String>, tokio_postgres::Error> {
    let mut sides = Vec::new();
    for client in [old_chain, fresh] {
        client.batch_execute("BEGIN").await?;
        sides.push(run_statements(client, user).await?);
        client.batch_execute("ROLLBACK").await?;
    }
    Ok(user
        .iter()
        .zip(sides[0].iter().zip(&sides[1]))
        .filter_map(|(statement, pair)| match pair {
            (Outcome::Ran(_), after @ Outcome::Failed(code, _)) if code.starts_with("42") => {
                Some(format!("`{statement}`: ran on the old chain but fails after the squash: {after}"))
            }
            _ => None,
        })
        .collect())
}

/// The same workload on the old chain + surgery (`surgered`) and on the fresh baseline
/// (`fresh`): `Ok` with a summary when every outcome and every kept table's rows agree, else
/// `Err` with each difference. With the `old_chain` (before any surgery), the user's statements
/// must also not fail after the squash for want of what ran before ([`still_used`]).
pub async fn same_behaviour(
    surgered: &Client,
    fresh: &Client,
    old_chain: Option<&Client>,
    scripts: &ScriptInput<'_>,
    user: &UserWorkload<'_>,
) -> Result<String, String> {
    let kept = LeftAlone { ledger: scripts.ledger, schemas: vec![scripts.backup_schema()], tables: pairs(scripts), only: Vec::new() };
    let backups: Vec<(String, String)> =
        scripts.details.tables.iter().map(|t| scripts.backup_table(&t.name)).map(|t| (t.schema, t.name)).collect();
    let retired = LeftAlone { ledger: scripts.ledger, schemas: Vec::new(), tables: Vec::new(), only: backups.clone() };
    let workload = Workload::build(targets(fresh, &kept).await.map_err(|e| with_causes(&e))?, user.statements);
    let (old, new) = tokio::join!(
        run(surgered, &workload, user.borrowed, &kept, (!backups.is_empty()).then_some(&retired)),
        run(fresh, &workload, user.borrowed, &kept, None)
    );
    let (old, new) = (old.map_err(|e| with_causes(&e))?, new.map_err(|e| with_causes(&e))?);
    let mut differences = differences(&workload, &old, &new);
    if let Some(old_chain) = old_chain.filter(|_| !user.statements.is_empty()) {
        differences.extend(still_used(old_chain, fresh, user.statements).await.map_err(|e| with_causes(&e))?);
    }
    if differences.is_empty() {
        let refused = new.seeded.refused.len();
        Ok(format!(
            "{} statement(s) and {} sample row(s) in {} kept table(s) behaved the same{}",
            workload.statements.len(),
            new.seeded.rows.values().sum::<u32>(),
            workload.targets.len(),
            if refused == 0 { String::new() } else { format!(" ({refused} table(s) refused some sample rows on both)") }
        ))
    } else {
        Err(differences.join("\n"))
    }
}

/// The backups as (schema, table).
fn pairs(scripts: &ScriptInput<'_>) -> Vec<(String, String)> {
    scripts.backups().into_iter().map(|t| (t.schema, t.name)).collect()
}

/// Every way the two traces differ.
fn differences(workload: &Workload, old: &Trace, new: &Trace) -> Vec<String> {
    let mut out = Vec::new();
    let label = "old chain + surgery";
    for changed in &old.backups_changed {
        out.push(format!("backup {changed} during the workload on {label}: a kept table's write reached it"));
    }
    if old.seeded.rows != new.seeded.rows {
        out.push(format!("sample rows taken: {label} {:?} → fresh baseline {:?}", old.seeded.rows, new.seeded.rows));
    }
    for ((statement, before), after) in workload.statements.iter().zip(&old.outcomes).zip(&new.outcomes) {
        let same = match (before, after) {
            (Outcome::Failed(a, _), Outcome::Failed(b, _)) => a == b,
            _ => before == after,
        };
        if !same {
            out.push(format!("`{statement}`: {label} {before} → fresh baseline {after}"));
        }
    }
    for (table, rows) in &old.rows {
        if new.rows.get(table) != Some(rows) {
            let mut line = format!("rows left in {table}: {label} {rows}");
            let _ = write!(line, " → fresh baseline {}", new.rows.get(table).map_or("missing", String::as_str));
            out.push(line);
        }
    }
    out
}

/// The statements of a user's workload file, split as PostgreSQL splits them.
pub fn user_statements(text: &str) -> Result<Vec<String>, String> {
    let statements = pg_query::split_with_parser(text).map_err(|e| e.to_string())?;
    Ok(statements.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, touch: Option<&str>) -> Target {
        Target { name: name.into(), order: "id".into(), touch: touch.map(String::from), row_text: "to_jsonb(t)::text".into() }
    }

    #[test]
    fn the_workload_updates_then_deletes_parents_first_then_runs_the_users_statements() {
        let workload =
            Workload::build(vec![target("public.teams", Some("name = name")), target("public.members", None)], &["SELECT 1".into()]);
        assert_eq!(
            workload.statements,
            [
                "UPDATE public.teams SET name = name WHERE ctid = (SELECT t.ctid FROM public.teams t ORDER BY id LIMIT 1)",
                "DELETE FROM public.teams WHERE ctid = (SELECT t.ctid FROM public.teams t ORDER BY id LIMIT 1)",
                "DELETE FROM public.members WHERE ctid = (SELECT t.ctid FROM public.members t ORDER BY id LIMIT 1)",
                "SELECT 1",
            ]
        );
    }

    #[test]
    fn outcomes_and_rows_are_compared_errors_by_sqlstate() {
        let workload = Workload::build(vec![target("public.teams", None)], &[]);
        let trace = |outcome: Outcome, rows: &str| Trace {
            outcomes: vec![outcome],
            rows: [("public.teams".to_string(), rows.to_string())].into(),
            ..Trace::default()
        };
        let restrict = trace(Outcome::Failed("23503".into(), "on backup".into()), "3 row(s), md5 a");
        let deleted = trace(Outcome::Ran(1), "2 row(s), md5 b");
        assert!(differences(&workload, &deleted, &deleted).is_empty());
        let same_code = trace(Outcome::Failed("23503".into(), "other words".into()), "3 row(s), md5 a");
        assert!(differences(&workload, &restrict, &same_code).is_empty(), "messages are not compared");
        let found = differences(&workload, &restrict, &deleted);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("old chain + surgery error 23503 (on backup) → fresh baseline 1 row(s)"), "{found:?}");
        assert!(found[1].starts_with("rows left in public.teams: old chain + surgery 3 row(s)"), "{found:?}");
    }

    #[test]
    fn a_users_workload_is_split_into_statements() {
        assert_eq!(
            user_statements("update t set a = 1 where id = 2;\n-- a comment\ndelete from t where b = ';';").unwrap(),
            ["update t set a = 1 where id = 2", "delete from t where b = ';'"]
        );
        assert!(user_statements("delete from").is_err());
    }
}
