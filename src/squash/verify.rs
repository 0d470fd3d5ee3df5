//! The proof, on one ephemeral server: the old chain with sample rows (`seeded_chain`) plus the
//! surgery (`surgered`) equals a fresh database built from the baseline (`fresh_baseline`),
//! whose rows are the ones the old chain leaves; the rollback brings the seeded chain back
//! (`rolled_back`), every retired value included; both scripts refuse a second run; a new
//! migration applies on both. The databases are built side by side.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::data::{Contents, data_digest};
use super::inspect::Details;
use super::scripts::ScriptInput;
use crate::catalog::{Catalog, Class, Difference, IntrospectOptions, Kind, LeftOut, ObjectPath, diff, introspect};
use crate::ledger::{LedgerTable, Migrator};
use crate::migration::MigrationFile;
use crate::report::with_causes;
use crate::server::{EphemeralServer, ServerError};
use crate::setup::Setup;

/// One verification check and its result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// Which check: a stable identifier for machines and tests.
    pub id: CheckId,
    /// What was checked, for people.
    pub name: &'static str,
    /// Whether it held.
    pub passed: bool,
    /// Whether it ran at all (a database it needs could not be built).
    pub checked: bool,
    /// Details: the differences or the error; for a passed check, differences it allows and
    /// reports (column order after the rollback).
    pub detail: String,
    /// How long it took (`took_ms` in JSON).
    #[serde(rename = "took_ms", serialize_with = "crate::report::as_millis")]
    pub took: Duration,
}

/// The squash's checks, by stable identifier (JSON `id`); [`CheckId::label`] is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The surgery runs on the old chain with sample rows.
    SurgeryRuns,
    /// The rollback runs after the surgery.
    RollbackRuns,
    /// The baseline applies on a fresh database.
    BaselineApplies,
    /// Old chain + surgery ≡ fresh baseline.
    SurgeryEqualsBaseline,
    /// The same, judged by `pg_dump --schema-only` text.
    DumpsAgree,
    /// The fresh baseline holds the rows the old chain leaves.
    BaselineHoldsRows,
    /// Old chain + surgery + rollback ≡ old chain.
    RollbackRestores,
    /// Nothing kept depends on a backup; no backup constrains, triggers on or cascades into
    /// anything kept.
    BackupsInert,
    /// The same workload behaves the same on old chain + surgery and on a fresh baseline.
    SameBehaviour,
    /// The surgery refuses a second run.
    SurgeryRefusesTwice,
    /// The rollback refuses a second run.
    RollbackRefusesTwice,
    /// A new migration applies on both.
    NewMigrationApplies,
    /// With `--through`: the kept files give the same on both.
    KeptFilesAgree,
    /// The real dbmate applies the new directory.
    DbmateApplies,
}

impl CheckId {
    /// What a passed check's detail holds, as the report heads it.
    pub fn passed_detail(self) -> &'static str {
        match self {
            CheckId::SameBehaviour => "what ran",
            _ => "allowed differences (cosmetic)",
        }
    }

    /// What the check proves, as people read it.
    pub fn label(self) -> &'static str {
        match self {
            CheckId::SurgeryRuns => "surgery runs on the old chain with sample rows",
            CheckId::RollbackRuns => "the rollback runs after the surgery",
            CheckId::BaselineApplies => "the baseline applies on a fresh database (squashmate up)",
            CheckId::SurgeryEqualsBaseline => "old chain + surgery ≡ fresh baseline (schema, privileges, owners and ledger)",
            CheckId::DumpsAgree => "old chain + surgery ≡ fresh baseline by pg_dump --schema-only text (privileges and owners included)",
            CheckId::BaselineHoldsRows => "the fresh baseline holds the rows the old chain leaves (every kept table and sequence)",
            CheckId::RollbackRestores => "old chain + surgery + rollback ≡ old chain (schema, ledger, every retired value)",
            CheckId::BackupsInert => {
                "the backups are inert: nothing kept depends on them; they constrain, trigger on and cascade into nothing kept"
            }
            CheckId::SameBehaviour => {
                "old chain + surgery behaves as a fresh baseline: sample rows, an update and a delete in every kept table (cascades and restricts fire), the workload file; outcomes and rows compared"
            }
            CheckId::SurgeryRefusesTwice => "the surgery refuses a second run and changes nothing",
            CheckId::RollbackRefusesTwice => "the rollback refuses a second run and changes nothing",
            CheckId::NewMigrationApplies => "a new migration applies on both",
            CheckId::KeptFilesAgree => "old chain + surgery + kept files ≡ fresh baseline + kept files (schema and ledger)",
            CheckId::DbmateApplies => "the real dbmate applies the new directory on a fresh database",
        }
    }
}

impl Check {
    /// Check `id`, started at `started`: passed with `Ok(notes)`, failed with `Err(why)`.
    pub fn new(id: CheckId, started: Instant, result: Result<String, String>) -> Check {
        let (passed, detail) = match result {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        Check { id, name: id.label(), passed, checked: true, detail, took: started.elapsed() }
    }

    /// Check `id` could not run: a database it needs was not built (that failure is reported
    /// by its own check).
    pub fn not_checked(id: CheckId) -> Check {
        Check {
            id,
            name: id.label(),
            passed: false,
            checked: false,
            detail: "not checked: a database it needs could not be built (see above)".into(),
            took: Duration::ZERO,
        }
    }
}

/// Everything the checks need.
pub struct VerifyInput<'a> {
    /// The server.
    pub server: &'a EphemeralServer,
    /// The seeded chain, and what the surgery and the rollback made of it ([`run_scripts`]).
    pub script_runs: ScriptRuns,
    /// The surgery text.
    pub surgery: &'a str,
    /// The rollback text.
    pub rollback: &'a str,
    /// The new migrations directory content (the baseline, as a migrator).
    pub new_chain: &'a Migrator,
    /// The scripts' inputs (ledger, retired objects, backup names).
    pub scripts: &'a ScriptInput<'a>,
    /// [`data_digest`] of the old chain's database after the surgery, without sample rows.
    pub chain_data: BTreeMap<String, Contents>,
    /// What every fresh database gets before the baseline (as the chain got it).
    pub setup: &'a Setup,
    /// The user's workload statements, run on both sides of the behavioural proof.
    pub workload: &'a [String],
    /// Rows borrowed from `--sample-from`, put into both sides of the behavioural proof.
    pub borrowed: &'a crate::seed::Borrowed,
    /// The old chain + surgery without sample rows, as the baseline's rows were made: the old
    /// chain's side of the behavioural proof (`Err`: why it could not be made).
    pub behaviour: Result<String, String>,
}

/// A database at one point of the proof, read once.
struct State {
    /// The database's name.
    database: String,
    client: Client,
    catalog: Catalog,
    ledger: Vec<String>,
    values: Vec<String>,
    /// Every kept table's rows and sequence's position, where read ([`State::with_rows`]).
    rows: Option<BTreeMap<String, Contents>>,
}

impl State {
    async fn read(database: String, client: Client, scripts: &ScriptInput<'_>, hidden: &Hidden) -> Result<State, tokio_postgres::Error> {
        let catalog = hidden.read(&client, scripts.ledger).await?;
        let ledger = ledger_versions(&client, scripts.ledger).await?;
        let values = retired_values(&client, scripts.details).await?;
        Ok(State { database, client, catalog, ledger, values, rows: None })
    }

    /// With every kept table's rows (each column by name, so order does not matter) read too.
    async fn with_rows(mut self, scripts: &ScriptInput<'_>) -> Result<State, tokio_postgres::Error> {
        self.rows = Some(data_digest(&self.client, scripts).await?);
        Ok(self)
    }
}

/// The databases made from the old chain with sample rows (`seeded_chain`): `surgered`, a copy
/// of it after the surgery; and `rolled_back`, the seeded chain itself after the surgery and the
/// rollback (read before, as `seeded_chain`).
pub struct ScriptRuns {
    hidden: Hidden,
    surgery_ran: Check,
    surgered: Option<State>,
    seeded_chain: State,
    rollback_ran: Check,
    rolled_back: Option<State>,
}

/// Copies the seeded chain (`db`, no session open on it) and runs the surgery on the copy, while
/// the seeded chain is read and taken through the surgery and the rollback.
pub async fn run_scripts(
    server: &EphemeralServer,
    db: &str,
    surgery: &str,
    rollback: &str,
    scripts: &ScriptInput<'_>,
) -> Result<ScriptRuns, ServerError> {
    let hidden = backups(&server.connect(db).await?, scripts).await?;
    let surgered_db = server.create_database(Some(db)).await?;
    let nothing = Hidden::nothing();
    let (surgery_only, surgery_and_rollback) = ([surgery], [surgery, rollback]);
    let ((surgery_ran, surgered), round_trip) =
        tokio::join!(built(CheckId::SurgeryRuns, run_on(server, &surgered_db, &surgery_only), scripts, &hidden), async {
            let seeded_chain = State::read(db.to_string(), server.connect(db).await?, scripts, &nothing).await?.with_rows(scripts).await?;
            let (check, rolled_back) = built(CheckId::RollbackRuns, run_on(server, db, &surgery_and_rollback), scripts, &nothing).await;
            let rolled_back = match rolled_back {
                Some(state) => Some(state.with_rows(scripts).await?),
                None => None,
            };
            Ok::<_, ServerError>((seeded_chain, check, rolled_back))
        });
    let (seeded_chain, rollback_ran, rolled_back) = round_trip?;
    Ok(ScriptRuns { hidden, surgery_ran, surgered, seeded_chain, rollback_ran, rolled_back })
}

/// The tables (and sequences) whose rows (or positions) differ.
fn compare_data(old_chain: &BTreeMap<String, Contents>, baseline: &BTreeMap<String, Contents>) -> Result<String, String> {
    compare_rows(("old chain", old_chain), ("fresh baseline", baseline))
}

/// The tables (and sequences) whose rows (or positions) differ between two labelled digests.
fn compare_rows(
    (left_label, old_chain): (&str, &BTreeMap<String, Contents>),
    (right_label, baseline): (&str, &BTreeMap<String, Contents>),
) -> Result<String, String> {
    let names: std::collections::BTreeSet<&String> = old_chain.keys().chain(baseline.keys()).collect();
    let differences: Vec<String> = names
        .into_iter()
        .filter(|n| old_chain.get(*n) != baseline.get(*n))
        .map(|n| {
            let show = |v: Option<&Contents>| v.map_or_else(|| "missing".into(), Contents::to_string);
            format!("{n}: {left_label} {} → {right_label} {}", show(old_chain.get(n)), show(baseline.get(n)))
        })
        .collect();
    if differences.is_empty() { Ok(String::new()) } else { Err(differences.join("\n")) }
}

/// What the comparison with the fresh baseline leaves out: the backups the surgery made.
struct Hidden(LeftOut);

impl Hidden {
    async fn read(&self, client: &Client, ledger: &LedgerTable) -> Result<Catalog, tokio_postgres::Error> {
        self.read_with(client, &IntrospectOptions { ledger_table: ledger.table.clone(), privileges: true }).await
    }

    async fn read_with(&self, client: &Client, options: &IntrospectOptions) -> Result<Catalog, tokio_postgres::Error> {
        let mut catalog = introspect(client, options).await?;
        self.0.apply(&mut catalog);
        Ok(catalog)
    }

    fn nothing() -> Hidden {
        Hidden(LeftOut::nothing())
    }
}

fn describe(differences: &[Difference]) -> String {
    differences.iter().map(|d| format!("{} [{}]: {} → {}", d.path, d.class.as_str(), d.left, d.right)).collect::<Vec<_>>().join("\n")
}

async fn ledger_versions(client: &Client, ledger: &LedgerTable) -> Result<Vec<String>, tokio_postgres::Error> {
    Ok(client.query(&ledger.select_sql(), &[]).await?.iter().map(|r| r.get(0)).collect())
}

/// The rows of the retired tables and the values of the retired columns by key, as text
/// (empty where the table or column is not there).
async fn retired_values(client: &Client, details: &Details) -> Result<Vec<String>, tokio_postgres::Error> {
    let tables = details.tables.iter().map(|t| (t.name.sql(), None, "t".to_string(), "t::text".to_string()));
    let columns = details.columns.iter().map(|c| {
        let keys = c.key.iter().map(|k| crate::sql::quote_ident(k)).collect::<Vec<_>>().join(", ");
        (c.name.table.sql(), Some(c.name.column.clone()), format!("row({keys}, {})", crate::sql::quote_ident(&c.name.column)), keys)
    });
    let mut out = Vec::new();
    for (table, column, value, order) in tables.chain(columns) {
        let present: bool = client
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL AND ($2::text IS NULL OR EXISTS (
                    SELECT FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped))",
                &[&table, &column],
            )
            .await?
            .get(0);
        if !present {
            out.push(String::new());
            continue;
        }
        let sql = format!("SELECT coalesce(string_agg({value}::text, E'\\n' ORDER BY {order}), '') FROM {table} t");
        out.push(client.query_one(&sql, &[]).await?.get(0));
    }
    Ok(out)
}

/// Runs `script` once more on a database it already ran on (read as `before`): it must fail,
/// and leave the schema and the ledger as they were.
async fn refuses_again(before: &State, hidden: &Hidden, script: &str, ledger: &LedgerTable) -> Result<String, String> {
    let client = &before.client;
    let second = client.batch_execute(script).await;
    let _ = client.batch_execute("ROLLBACK").await;
    let after = async { Ok::<_, tokio_postgres::Error>((hidden.read(client, ledger).await?, ledger_versions(client, ledger).await?)) }
        .await
        .map_err(|e| e.to_string())?;
    match second {
        Ok(()) => Err("a second run succeeded".into()),
        Err(_) if before.ledger != after.1 => Err(format!("the ledger changed: {:?} → {:?}", before.ledger, after.1)),
        Err(_) => {
            let differences = diff(&before.catalog, &after.0);
            if differences.is_empty() { Ok(String::new()) } else { Err(describe(&differences)) }
        }
    }
}

/// The check that `script`, run again on `state` (read with `hidden` left out), refuses.
async fn second_run(id: CheckId, state: Option<&State>, hidden: &Hidden, script: &str, ledger: &LedgerTable) -> Check {
    let started = Instant::now();
    match state {
        Some(state) => Check::new(id, started, refuses_again(state, hidden, script, ledger).await),
        None => Check::not_checked(id),
    }
}

/// Builds one database of the proof: `build` makes it (its error is the check's failure),
/// then it is read. Returns the check and, when built, the state.
async fn built<F>(id: CheckId, build: F, scripts: &ScriptInput<'_>, hidden: &Hidden) -> (Check, Option<State>)
where
    F: Future<Output = Result<(String, Client), String>>,
{
    let started = Instant::now();
    let outcome = async {
        let (database, client) = build.await?;
        State::read(database, client, scripts, hidden).await.map_err(|e| e.to_string())
    }
    .await;
    match outcome {
        Ok(state) => (Check::new(id, started, Ok(String::new())), Some(state)),
        Err(e) => (Check::new(id, started, Err(e)), None),
    }
}

/// Database `db` with `scripts` run on it, in order.
async fn run_on(server: &EphemeralServer, db: &str, scripts: &[&str]) -> Result<(String, Client), String> {
    let client = server.connect(db).await.map_err(|e| e.to_string())?;
    for script in scripts {
        client.batch_execute(script).await.map_err(|e| with_causes(&e))?;
    }
    Ok((db.to_string(), client))
}

/// A new database with the setup the chain got (its roles exist on the server already).
pub async fn fresh_database(server: &EphemeralServer, setup: &Setup) -> Result<(String, Client), String> {
    crate::replay::prepared_database(server, setup, &[]).await.map(|(db, client, _)| (db, client)).map_err(|e| e.to_string())
}

/// The second judge: `pg_dump --schema-only` (privileges and owners) of old chain + surgery,
/// the backups left out, against the fresh baseline's, both normalised as the baseline is.
async fn dumps_agree(server: &EphemeralServer, surgered: &State, fresh: &State, scripts: &ScriptInput<'_>) -> Result<String, String> {
    let runner = &server.connect_info().user;
    let schema = |db: String, excluded: Vec<String>| async move {
        let (text, _) =
            super::dumped::pg_dump(server, &db, &excluded, super::dumped::Dumped::SchemaOnly).await.map_err(|e| e.to_string())?;
        Ok::<_, String>(super::baseline::normalise_dump(&text, runner, &[]))
    };
    let (old, new) = tokio::join!(
        schema(surgered.database.clone(), super::dumped::backups_excluded(scripts)),
        schema(fresh.database.clone(), Vec::new())
    );
    crate::dump::compare_dumps("old chain + surgery", &old?, "fresh baseline", &new?).map(|()| String::new())
}

/// Compares two states; `allowed` differences pass and are reported.
fn compare(left: &State, right: &State, allowed: &[Class], what: &str) -> Result<String, String> {
    let (allowed_differences, differences): (Vec<Difference>, Vec<Difference>) =
        diff(&left.catalog, &right.catalog).into_iter().partition(|d| allowed.contains(&d.class));
    if !differences.is_empty() {
        Err(describe(&differences))
    } else if left.ledger != right.ledger {
        Err(format!("ledgers differ: {:?} vs {:?}", left.ledger, right.ledger))
    } else if left.values != right.values {
        Err(format!("{what}: retired values differ"))
    } else if let (Some(before), Some(after)) = (&left.rows, &right.rows) {
        compare_rows(("before the surgery", before), (&format!("after the {what}"), after))?;
        Ok(describe(&allowed_differences))
    } else {
        Ok(describe(&allowed_differences))
    }
}

/// Runs every check after [`run_scripts`]; never stops at the first failure.
pub async fn verify(input: VerifyInput<'_>) -> Result<Vec<Check>, ServerError> {
    let server = input.server;
    let scripts = input.scripts;
    let ledger = scripts.ledger;
    let behaviour = input.behaviour;
    let ScriptRuns { hidden, surgery_ran, surgered, seeded_chain, rollback_ran, rolled_back } = input.script_runs;
    let (built_fresh, fresh_baseline) = built(
        CheckId::BaselineApplies,
        async {
            let (db, client) = fresh_database(server, input.setup).await?;
            input.new_chain.up(&client, &client, &mut |_| {}).await.map_err(|e| e.to_string())?;
            Ok((db, client))
        },
        scripts,
        &hidden,
    )
    .await;
    let mut checks = vec![surgery_ran, rollback_ran, built_fresh];

    let started = Instant::now();
    checks.push(match (&surgered, &fresh_baseline) {
        (Some(surgered), Some(fresh)) => {
            Check::new(CheckId::SurgeryEqualsBaseline, started, compare(surgered, fresh, &[Class::Cosmetic], "surgery"))
        }
        _ => Check::not_checked(CheckId::SurgeryEqualsBaseline),
    });
    let started = Instant::now();
    checks.push(match (&surgered, &fresh_baseline) {
        (Some(surgered), Some(fresh)) => Check::new(CheckId::DumpsAgree, started, dumps_agree(server, surgered, fresh, scripts).await),
        _ => Check::not_checked(CheckId::DumpsAgree),
    });
    let started = Instant::now();
    checks.push(match &fresh_baseline {
        Some(fresh) => {
            let rows = match data_digest(&fresh.client, scripts).await {
                Ok(digest) => compare_data(&input.chain_data, &digest),
                Err(e) => Err(e.to_string()),
            };
            Check::new(CheckId::BaselineHoldsRows, started, rows)
        }
        None => Check::not_checked(CheckId::BaselineHoldsRows),
    });
    let started = Instant::now();
    checks.push(match &rolled_back {
        // Column order may differ (a re-added column comes last): allowed, and reported.
        Some(rolled_back) => {
            Check::new(CheckId::RollbackRestores, started, compare(&seeded_chain, rolled_back, &[Class::Cosmetic], "rollback"))
        }
        None => Check::not_checked(CheckId::RollbackRestores),
    });

    let nothing = Hidden::nothing();
    let (surgery_again, rollback_again) = tokio::join!(
        second_run(CheckId::SurgeryRefusesTwice, surgered.as_ref(), &hidden, input.surgery, ledger),
        second_run(CheckId::RollbackRefusesTwice, rolled_back.as_ref(), &nothing, input.rollback, ledger)
    );
    checks.extend([surgery_again, rollback_again]);

    let started = Instant::now();
    checks.push(match &surgered {
        Some(surgered) => {
            let links = super::behaviour::backups_inert(&surgered.client, scripts).await.map_err(|e| with_causes(&e));
            Check::new(CheckId::BackupsInert, started, links.and_then(|l| if l.is_empty() { Ok(String::new()) } else { Err(l.join("\n")) }))
        }
        None => Check::not_checked(CheckId::BackupsInert),
    });
    let started = Instant::now();
    checks.push(match (behaviour, &fresh_baseline) {
        (Ok(db), Some(fresh)) => {
            let result = async {
                let old = server.connect(&db).await.map_err(|e| e.to_string())?;
                let old_chain = rolled_back.as_ref().map(|state| &state.client);
                let workload = super::behaviour::UserWorkload { statements: input.workload, borrowed: input.borrowed };
                super::behaviour::same_behaviour(&old, &fresh.client, old_chain, scripts, &workload).await
            }
            .await;
            Check::new(CheckId::SameBehaviour, started, result)
        }
        (Err(why), Some(_)) => {
            Check::new(CheckId::SameBehaviour, started, Err(format!("the old chain + surgery could not be made: {why}")))
        }
        (_, None) => Check::not_checked(CheckId::SameBehaviour),
    });

    let started = Instant::now();
    let forward = forward_probe(&[("old chain + surgery", surgered.as_ref()), ("fresh baseline", fresh_baseline.as_ref())], ledger).await;
    checks.push(Check::new(CheckId::NewMigrationApplies, started, forward));
    Ok(checks)
}

/// With `--through`: the replayed chain after the surgery (`surgered`, no sample rows) with the
/// kept files applied equals a fresh database built from the new directory (`new_directory`:
/// the baseline and the kept files) — schema and ledger.
pub async fn kept_files_check(
    server: &EphemeralServer,
    surgered: &str,
    kept: &Migrator,
    new_directory: &Migrator,
    scripts: &ScriptInput<'_>,
    setup: &Setup,
) -> Check {
    let started = Instant::now();
    let result = async {
        let old = server.connect(surgered).await.map_err(|e| e.to_string())?;
        let hidden = backups(&old, scripts).await.map_err(|e| e.to_string())?;
        kept.up(&old, &old, &mut |_| {}).await.map_err(|e| format!("the kept files on the old chain + surgery: {e}"))?;
        let (db, fresh) = fresh_database(server, setup).await?;
        new_directory.up(&fresh, &fresh, &mut |_| {}).await.map_err(|e| format!("the new directory on a fresh database: {e}"))?;
        let (old, fresh) = (
            State::read(surgered.to_string(), old, scripts, &hidden).await.map_err(|e| e.to_string())?,
            State::read(db, fresh, scripts, &Hidden::nothing()).await.map_err(|e| e.to_string())?,
        );
        let (allowed, differences): (Vec<Difference>, Vec<Difference>) =
            diff(&old.catalog, &fresh.catalog).into_iter().partition(|d| d.class == Class::Cosmetic);
        if !differences.is_empty() {
            Err(describe(&differences))
        } else if old.ledger != fresh.ledger {
            Err(format!("ledgers differ: {:?} vs {:?}", old.ledger, fresh.ledger))
        } else {
            Ok(describe(&allowed))
        }
    }
    .await;
    Check::new(CheckId::KeptFilesAgree, started, result)
}

/// The catalog of a database the surgery ran on, read with `options`, its backups left out:
/// the baseline's schema (what its fingerprint is made of).
pub(super) async fn without_backups(
    client: &Client,
    scripts: &ScriptInput<'_>,
    options: &IntrospectOptions,
) -> Result<Catalog, tokio_postgres::Error> {
    backups(client, scripts).await?.read_with(client, options).await
}

/// The backups as catalog paths name them (the server's quote_ident: quotes only where needed).
async fn backups(client: &Client, scripts: &ScriptInput<'_>) -> Result<Hidden, tokio_postgres::Error> {
    let mut tables = Vec::new();
    for t in scripts.backups() {
        let row = client.query_one("SELECT quote_ident($1) || '.' || quote_ident($2)", &[&t.schema, &t.name]).await?;
        tables.push(ObjectPath::top(Kind::Table, row.get::<_, String>(0)));
    }
    Ok(Hidden(LeftOut { schemas: vec![scripts.backup_schema()], tables }))
}

/// A new migration applies on each of `sides`.
async fn forward_probe(sides: &[(&str, Option<&State>)], ledger: &LedgerTable) -> Result<String, String> {
    let forward = MigrationFile::parse(
        "99999999999999_squashmate_forward_probe.sql",
        "-- migrate:up\ncreate table squashmate_forward_probe (id bigint primary key);\n-- migrate:down\ndrop table squashmate_forward_probe;\n".into(),
    )
    .expect("a migration name");
    let mut failures = Vec::new();
    for (label, state) in sides {
        match state {
            Some(state) => {
                if let Err(e) = crate::ledger::apply_file(&state.client, &forward, ledger).await {
                    failures.push(format!("{label}: {e}"));
                }
            }
            None => failures.push(format!("{label}: not built")),
        }
    }
    if failures.is_empty() { Ok(String::new()) } else { Err(failures.join("\n")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_missing_or_different_in_the_fresh_baseline_fail_the_data_check() {
        let rows = |count, md5: &str| Contents::Rows { count, md5: md5.into() };
        let sequence = Contents::Sequence { last_value: 5, called: true };
        let digest = |pairs: Vec<(&str, Contents)>| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>();
        let chain = digest(vec![("public.t", rows(2, "a")), ("public.s", sequence.clone())]);
        assert_eq!(compare_data(&chain, &chain), Ok(String::new()));
        let lost = compare_data(&chain, &digest(vec![("public.t", rows(0, "b")), ("public.s", sequence)])).unwrap_err();
        assert_eq!(lost, "public.t: old chain 2 row(s), md5 a → fresh baseline 0 row(s), md5 b");
        let missing = compare_data(&chain, &digest(vec![("public.t", rows(2, "a"))])).unwrap_err();
        assert_eq!(missing, "public.s: old chain 5 (called) → fresh baseline missing");
    }
}
