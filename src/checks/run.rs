//! Asks a database a file's checks, inside the caller's transaction: each bounded (the first
//! few offending keys, a count that stops at [`COUNT_CAP`]), each behind a savepoint so one
//! that cannot run does not end the others. A derived check that cannot run here (its table
//! not made yet, a function this major lacks) is skipped and says why — never blamed on the
//! migration; a declared one that cannot run fails, naming the error.

use tokio_postgres::Client;

use super::derive::{Check, CheckKind, NullKeys, Probe, constraint_probe, foreign_key_condition};
use crate::sql::quote_literal;

/// Offending keys shown per check.
pub const SAMPLES: usize = 5;
/// Counting stops here (`at least`): a check stays cheap on a big table that fails it.
pub const COUNT_CAP: i64 = 1000;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    /// No offending row.
    Passed,
    /// Offending rows: how many (at least, when `capped`) and the first keys.
    Failed {
        /// How many rows offend.
        count: i64,
        /// Whether counting stopped at [`COUNT_CAP`].
        capped: bool,
        /// The first offending rows' keys (primary key, else `ctid`), or values.
        samples: Vec<String>,
    },
    /// A declared check's query did not run.
    Broken {
        /// PostgreSQL's error.
        message: String,
    },
    /// Not asked here, and why.
    Skipped {
        /// Why.
        why: String,
    },
}

/// A check and what it found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckOutcome {
    /// The check.
    pub check: Check,
    /// What it found.
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl CheckOutcome {
    /// Whether it stops the file: offending rows, or a declared check that did not run.
    pub fn stops(&self) -> bool {
        matches!(self.verdict, Verdict::Failed { .. } | Verdict::Broken { .. })
    }
}

/// How a check's offending rows are found.
enum Question {
    /// Rows of `table` (aliased `t`) where `condition` holds, shown by `key`: checks of one
    /// table share a scan first. `otherwise`: the conversion to try when the condition's value
    /// does not compute (a `USING` that fails on some rows).
    Rows { table: String, condition: String, key: String, otherwise: Option<Conversion> },
    /// Any other query of the offending rows, from `from_where`, shown by `shown`.
    Query { from_where: String, shown: String },
    /// A conversion no function tests row by row: tried over the whole table; when it fails,
    /// block range by block range, and row by row in the ranges that fail.
    Conversion(Conversion),
}

/// What a conversion check converts: `converted`, SQL over `t`, as the statement converts.
struct Conversion {
    table: String,
    converted: String,
    key: String,
}

/// Runs `checks` on `client`, which must be in a transaction (read-only, for `check`). Each
/// check runs read-only behind a savepoint that is rolled back: nothing a check does stays.
pub async fn run_checks(client: &Client, checks: &[Check]) -> Result<Vec<CheckOutcome>, tokio_postgres::Error> {
    let mut questions = Vec::new();
    for check in checks {
        questions.push(match guarded(client, question(client, &check.probe)).await? {
            Ok(Ok(question)) => Ok(question),
            Ok(Err(why)) => Err(why),
            Err(e) => Err(format!("could not be checked here: {}", db_message(e)?)),
        });
    }
    let cleared = shared_scans(client, &questions).await?;
    let mut out = Vec::new();
    for ((check, question), cleared) in checks.iter().zip(questions).zip(cleared) {
        let verdict = match question {
            _ if cleared => Verdict::Passed,
            Err(why) => Verdict::Skipped { why },
            Ok(question) => ask(client, check, question).await?,
        };
        out.push(CheckOutcome { check: check.clone(), verdict });
    }
    Ok(out)
}

/// `work` behind a savepoint, read-only, rolled back after: its own answer (a database error
/// included), or the error that kept the savepoint from working.
async fn guarded<T>(
    client: &Client,
    work: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<Result<T, tokio_postgres::Error>, tokio_postgres::Error> {
    client.batch_execute("SAVEPOINT squashmate_check; SET TRANSACTION READ ONLY").await?;
    let answer = work.await;
    if answer.as_ref().is_err_and(|e| e.as_db_error().is_none()) {
        return answer.map(Ok);
    }
    client.batch_execute("ROLLBACK TO SAVEPOINT squashmate_check; RELEASE SAVEPOINT squashmate_check").await?;
    Ok(answer)
}

/// PostgreSQL's message of a database error; any other error is the connection's, returned.
fn db_message(e: tokio_postgres::Error) -> Result<String, tokio_postgres::Error> {
    match e.as_db_error() {
        Some(db) => Ok(db.message().to_string()),
        None => Err(e),
    }
}

/// Which checks a shared scan cleared: of two or more row checks on one table, one query for
/// a row any of them finds — none, and all of them passed with one read of the table.
async fn shared_scans(client: &Client, questions: &[Result<Question, String>]) -> Result<Vec<bool>, tokio_postgres::Error> {
    let mut by_table: std::collections::BTreeMap<&str, Vec<(usize, &str)>> = Default::default();
    for (i, question) in questions.iter().enumerate() {
        if let Ok(Question::Rows { table, condition, .. }) = question {
            by_table.entry(table).or_default().push((i, condition));
        }
    }
    let mut cleared = vec![false; questions.len()];
    for (table, rows) in by_table.into_iter().filter(|(_, rows)| rows.len() > 1) {
        let any = rows.iter().map(|(_, condition)| format!("({condition})")).collect::<Vec<_>>().join(" OR ");
        let found = guarded(client, client.query(&format!("SELECT 1 FROM {table} AS t WHERE {any} LIMIT 1"), &[])).await?;
        if found.is_ok_and(|found| found.is_empty()) {
            for (i, _) in rows {
                cleared[i] = true;
            }
        }
    }
    Ok(cleared)
}

async fn ask(client: &Client, check: &Check, question: Question) -> Result<Verdict, tokio_postgres::Error> {
    let (from_where, shown, otherwise) = match question {
        Question::Conversion(conversion) => return convert(client, &conversion).await,
        Question::Rows { table, condition, key, otherwise } => (format!("{table} AS t WHERE {condition}"), key, otherwise),
        Question::Query { from_where, shown } => (from_where, shown, None),
    };
    // One pass: the first offending rows up to the cap, counted as they are read, the first few
    // shown.
    let sampled = format!(
        "SELECT o.shown, count(*) OVER () FROM (SELECT ({shown})::text AS shown FROM {from_where} LIMIT {}) AS o LIMIT {SAMPLES}",
        COUNT_CAP + 1
    );
    let answer = guarded(client, async {
        let rows = client.query(&sampled, &[]).await?;
        let count: i64 = rows.first().map_or(0, |r| r.get(1));
        let samples = rows.iter().map(|r| r.get::<_, Option<String>>(0).unwrap_or_else(|| "NULL".into())).collect();
        Ok::<_, tokio_postgres::Error>((count, samples))
    })
    .await?;
    match answer {
        Ok((0, _)) => Ok(Verdict::Passed),
        Ok((count, samples)) => Ok(Verdict::Failed { count: count.min(COUNT_CAP), capped: count > COUNT_CAP, samples }),
        Err(e) => match otherwise {
            Some(conversion) if does_not_convert(&e) => convert(client, &conversion).await,
            _ if check.kind == CheckKind::Declared => Ok(Verdict::Broken { message: db_message(e)? }),
            _ => Ok(Verdict::Skipped { why: format!("could not be checked here: {}", db_message(e)?) }),
        },
    }
}

/// Whether `e` says a value does not convert: a data exception (SQLSTATE class 22), or a
/// domain's NOT NULL or CHECK refusing it (class 23).
fn does_not_convert(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code().starts_with("22") || c.code().starts_with("23"))
}

/// Finds the rows whose value does not convert, range by range (a PL/pgSQL block that reads
/// its queries from settings, so the migration's SQL is never quoted into it).
const RANGE_SEARCH: &str = "DO $squashmate$
DECLARE
  ranges constant text := current_setting('squashmate.check_ranges');
  keys constant text := current_setting('squashmate.check_keys');
  one constant text := current_setting('squashmate.check_one');
  blocks constant bigint := current_setting('squashmate.check_blocks')::bigint;
  samples constant bigint := current_setting('squashmate.check_samples')::bigint;
  cap constant bigint := current_setting('squashmate.check_cap')::bigint;
  step constant bigint := 64;
  b bigint := 0;
  r record;
  found text[] := '{}';
  n bigint := 0;
  more bigint := 0;
BEGIN
  WHILE b < blocks AND n + more <= cap LOOP
    BEGIN
      EXECUTE ranges USING format('(%s,0)', b)::tid, format('(%s,0)', b + step)::tid;
    EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
      IF n < samples THEN
        FOR r IN EXECUTE keys USING format('(%s,0)', b)::tid, format('(%s,0)', b + step)::tid LOOP
          BEGIN
            EXECUTE one USING r.c;
          EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
            n := n + 1;
            IF n <= samples THEN found := found || r.k; END IF;
          END;
        END LOOP;
      ELSE
        more := more + 1;
      END IF;
    END;
    b := b + step;
  END LOOP;
  PERFORM set_config('squashmate.check_found', found::text, true),
    set_config('squashmate.check_count', (n + more)::text, true),
    set_config('squashmate.check_capped', (more > 0 OR b < blocks)::text, true);
END
$squashmate$";

/// The conversion over the whole table (one scan when it passes); when it fails, the rows.
async fn convert(client: &Client, c: &Conversion) -> Result<Verdict, tokio_postgres::Error> {
    let converted = format!("count({})", c.converted);
    let whole = guarded(client, client.query_one(&format!("SELECT {converted} FROM {} AS t", c.table), &[])).await?;
    let message = match whole {
        Ok(_) => return Ok(Verdict::Passed),
        Err(e) if does_not_convert(&e) => db_message(e)?,
        Err(e) => return Ok(Verdict::Skipped { why: format!("could not be checked here: {}", db_message(e)?) }),
    };
    let range = "t.ctid >= $1 AND t.ctid < $2";
    let settings = [
        ("squashmate.check_ranges", format!("SELECT {converted} FROM {} AS t WHERE {range}", c.table)),
        ("squashmate.check_keys", format!("SELECT ({})::text AS k, t.ctid AS c FROM {} AS t WHERE {range}", c.key, c.table)),
        ("squashmate.check_one", format!("SELECT {converted} FROM {} AS t WHERE t.ctid = $1", c.table)),
        ("squashmate.check_samples", SAMPLES.to_string()),
        ("squashmate.check_cap", COUNT_CAP.to_string()),
    ];
    let searched = guarded(client, async {
        for (name, value) in &settings {
            client.execute("SELECT set_config($1, $2, true)", &[name, value]).await?;
        }
        client
            .execute(
                "SELECT set_config('squashmate.check_blocks', (pg_relation_size(to_regclass($1)) / current_setting('block_size')::bigint)::text, true)",
                &[&c.table],
            )
            .await?;
        client.batch_execute(RANGE_SEARCH).await?;
        let row = client
            .query_one(
                "SELECT current_setting('squashmate.check_found')::text[], current_setting('squashmate.check_count')::bigint, current_setting('squashmate.check_capped')::boolean",
                &[],
            )
            .await?;
        Ok((row.get::<_, Vec<String>>(0), row.get::<_, i64>(1), row.get::<_, bool>(2)))
    })
    .await?;
    Ok(match searched {
        Ok((samples, count, capped)) if count > 0 => {
            Verdict::Failed { count: count.min(COUNT_CAP), capped: capped || count > COUNT_CAP, samples }
        }
        // No single row fails (a partitioned table has no blocks of its own): the conversion's
        // error is what there is to show.
        _ => Verdict::Failed { count: 1, capped: true, samples: vec![message] },
    })
}

/// Whether the type named `$1` is a domain with a default, its own or one it inherits.
const DOMAIN_DEFAULT: &str = "WITH RECURSIVE chain AS (
    SELECT typbasetype, typdefault, typtype FROM pg_catalog.pg_type WHERE oid = to_regtype($1)
  UNION ALL
    SELECT p.typbasetype, p.typdefault, p.typtype FROM pg_catalog.pg_type p JOIN chain c ON p.oid = c.typbasetype WHERE c.typtype = 'd'
) SELECT coalesce(bool_or(typtype = 'd' AND typdefault IS NOT NULL), false) FROM chain";

/// The question for `probe`, or why it cannot be asked here.
async fn question(client: &Client, probe: &Probe) -> Result<Result<Question, String>, tokio_postgres::Error> {
    let table = match probe {
        Probe::Query { sql } => return Ok(Ok(Question::Query { from_where: format!("({sql}) AS q"), shown: "q".into() })),
        Probe::Rows { table, .. }
        | Probe::NewColumn { table, .. }
        | Probe::Duplicates { table, .. }
        | Probe::ForeignKey { table, .. }
        | Probe::Constraint { table, .. }
        | Probe::Cast { table, .. } => table,
    };
    if !client.query_one("SELECT to_regclass($1) IS NOT NULL", &[table]).await?.get::<_, bool>(0) {
        return Ok(Err(format!("{table} does not exist here yet (an earlier migration makes it)")));
    }
    Ok(Ok(match probe {
        Probe::Rows { table, condition } => {
            Question::Rows { table: table.clone(), condition: condition.clone(), key: key(client, table).await?, otherwise: None }
        }
        Probe::NewColumn { table, type_sql } => {
            let defaulted: bool = client.query_one(DOMAIN_DEFAULT, &[type_sql]).await?.get(0);
            let condition = if defaulted { "false" } else { "true" };
            Question::Rows { table: table.clone(), condition: condition.into(), key: key(client, table).await?, otherwise: None }
        }
        Probe::Duplicates { table, columns, nulls, rows } => {
            let list = columns.join(", ");
            let any_null = columns.iter().map(|c| format!("{c} IS NULL")).collect::<Vec<_>>().join(" OR ");
            let covered = rows.as_ref().map(|r| format!("({r})"));
            let (keys, null_rows) = match nulls {
                NullKeys::Distinct => (Some(format!("NOT ({any_null})")), String::new()),
                NullKeys::NotDistinct => (None, String::new()),
                NullKeys::Offend => (None, format!(" UNION ALL SELECT row({list}) FROM {table} WHERE {any_null}")),
            };
            let filter: Vec<String> = covered.into_iter().chain(keys).collect();
            let keys = if filter.is_empty() { String::new() } else { format!(" WHERE {}", filter.join(" AND ")) };
            let from_where = format!("(SELECT row({list}) AS k FROM {table}{keys} GROUP BY {list} HAVING count(*) > 1{null_rows}) AS d");
            Question::Query { from_where, shown: "d.k".into() }
        }
        Probe::ForeignKey { table, columns, referenced, keys, full } => {
            let keys = match keys {
                Some(keys) => keys.clone(),
                None => match primary_key(client, referenced).await? {
                    Some(keys) if keys.len() == columns.len() => keys,
                    _ => return Ok(Err(format!("{referenced} has no primary key of {} column(s) here yet", columns.len()))),
                },
            };
            let condition = foreign_key_condition(columns, referenced, &keys, *full);
            Question::Rows { table: table.clone(), condition, key: key(client, table).await?, otherwise: None }
        }
        Probe::Constraint { table, name } => {
            let found = client
                .query_opt(
                    "SELECT pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2",
                    &[table, name],
                )
                .await?;
            let Some(definition) = found.map(|r| r.get::<_, String>(0)) else {
                return Ok(Err(format!("{table} has no constraint {name} here yet")));
            };
            match constraint_probe(table, &definition) {
                Some(probe) => return Box::pin(question(client, &probe)).await,
                None => return Ok(Err(format!("constraint {name} ({definition}) checks nothing a query can ask before it runs"))),
            }
        }
        Probe::Cast { table, value, type_sql, explicit } => {
            let number: String = client.query_one("SHOW server_version_num", &[]).await?.get(0);
            let source = client.prepare(&format!("SELECT ({value}) FROM {table} AS t")).await?;
            let category: Option<String> = client
                .query_one("SELECT typcategory::text FROM pg_catalog.pg_type WHERE oid = $1", &[&source.columns()[0].type_().oid()])
                .await?
                .get(0);
            let target = client.prepare(&format!("SELECT NULL::{type_sql}")).await?;
            let (oid, typmod) = (target.columns()[0].type_().oid(), target.columns()[0].type_modifier());
            // A result column shows a domain as its base type: the name tells.
            let domain: bool = client
                .query_one("SELECT coalesce((SELECT typtype = 'd' FROM pg_catalog.pg_type WHERE oid = to_regtype($1)), false)", &[type_sql])
                .await?
                .get(0);
            // Assigned to a type with a length (varchar(n), char(n), bit(n)), a value too long is
            // refused — cast explicitly, it is cut: the length function says which.
            let length = if typmod >= 0 && !explicit {
                client
                    .query_opt(
                        "SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname), format_type($1, NULL)
                         FROM pg_catalog.pg_cast c JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                         WHERE c.castsource = $1 AND c.casttarget = $1",
                        &[&oid],
                    )
                    .await?
                    .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
            } else {
                None
            };
            let converted = match length {
                Some((function, base)) => format!("({function}(({value})::{base}, {typmod}, false))::{type_sql}"),
                None => format!("({value})::{type_sql}"),
            };
            let key = key(client, table).await?;
            let conversion = Conversion { table: table.clone(), converted, key: key.clone() };
            // Text read as the new type is what pg_input_is_valid answers (16 and later); from
            // another type the cast function decides (numeric 1.5 becomes integer 2), an
            // explicit cast to a length cuts, and a domain's NOT NULL refuses a NULL that
            // pg_input_is_valid never sees, so only the conversion can tell.
            let input_answers = category.as_deref() == Some("S") && !(*explicit && typmod >= 0) && !domain;
            if number.parse::<u32>().unwrap_or(0) >= 160_000 && input_answers {
                let condition = format!("({value}) IS NOT NULL AND NOT pg_input_is_valid(({value})::text, {})", quote_literal(type_sql));
                Question::Rows { table: table.clone(), condition, key, otherwise: Some(conversion) }
            } else {
                Question::Conversion(conversion)
            }
        }
        Probe::Query { .. } => unreachable!("answered above"),
    }))
}

/// How a row of `table` is shown: its primary key as a row, else its `ctid`.
async fn key(client: &Client, table: &str) -> Result<String, tokio_postgres::Error> {
    Ok(match primary_key(client, table).await?.as_deref() {
        Some([column]) => format!("t.{column}"),
        Some(columns) => format!("row({})", columns.iter().map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ")),
        None => "t.ctid".into(),
    })
}

/// The primary key columns of `table`, quoted, in key order.
async fn primary_key(client: &Client, table: &str) -> Result<Option<Vec<String>>, tokio_postgres::Error> {
    client
        .query_one(
            "SELECT array_agg(quote_ident(a.attname::text) ORDER BY array_position(i.indkey::int2[], a.attnum))
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
             WHERE i.indrelid = to_regclass($1) AND i.indisprimary",
            &[&table],
        )
        .await?
        .try_get(0)
}

impl CheckOutcome {
    /// What to do about rows this check found.
    pub fn next_step(&self) -> &'static str {
        match (&self.verdict, self.check.kind) {
            (Verdict::Broken { .. }, _) => "fix the check's SQL in its comment (squashmate lint names it)",
            (_, CheckKind::NotNull) => "set those rows' values first (in an earlier migration), or give the column a default",
            (_, CheckKind::Unique) => "remove or merge the duplicates first, in an earlier migration",
            (_, CheckKind::Check) => "fix those rows first, or add the constraint NOT VALID and VALIDATE it once they are fixed",
            (_, CheckKind::ForeignKey) => {
                "fix or delete the rows that point at nothing first, or add the key NOT VALID and VALIDATE it later"
            }
            (_, CheckKind::Validate) => "fix the rows the constraint rejects, then run the migration again",
            (_, CheckKind::TypeChange) => "fix the values that do not convert, or convert them with a USING expression",
            (_, CheckKind::DataLoss) => {
                "move the rows somewhere first; if losing them is intended, say so above the statement: `-- squashmate:allow data-loss <why>`"
            }
            (_, CheckKind::Declared) => "the check's comment says what must hold: make it hold, then run the migration again",
        }
    }

    /// What the check found, with the next step; empty when it found nothing.
    pub fn finding(&self) -> String {
        let name = &self.check.name;
        match &self.verdict {
            Verdict::Failed { count, capped, samples } => format!(
                "check {name} failed: {count}{} row(s) — {}; first: {}\n  = next: {}",
                if *capped { "+" } else { "" },
                self.check.finds,
                samples.join(", "),
                self.next_step()
            ),
            Verdict::Broken { message } => format!("check {name} did not run: {message}\n  = next: {}", self.next_step()),
            Verdict::Skipped { why } => format!("check {name} skipped: {why}"),
            Verdict::Passed => String::new(),
        }
    }

    /// [`CheckOutcome::finding`] at `place` (`path:line:col`).
    pub fn describe(&self, place: &str) -> String {
        format!("{place}: {}", self.finding())
    }
}

/// The checks that stopped a file before any of its statements ran, each at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The file.
    pub path: String,
    /// Each stopping check and its `line:col`.
    pub checks: Vec<(crate::report::LineCol, CheckOutcome)>,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> =
            self.checks.iter().map(|(at, outcome)| outcome.describe(&format!("{}:{}:{}", self.path, at.line, at.col))).collect();
        write!(f, "{}\n  (nothing of this file ran: its checks come first)", lines.join("\n"))
    }
}

/// `checks` (the [`stopping_checks`] of `file`) run on `client` (in a transaction): `Err` with
/// those that stop it.
pub async fn check_before(
    client: &Client,
    file: &crate::migration::MigrationFile,
    checks: &[Check],
) -> Result<Result<(), Stopped>, tokio_postgres::Error> {
    let stopping: Vec<_> = run_checks(client, checks)
        .await?
        .into_iter()
        .filter(CheckOutcome::stops)
        .map(|o| (file.source.line_col(o.check.offset), o))
        .collect();
    Ok(if stopping.is_empty() { Ok(()) } else { Err(Stopped { path: file.path().display().to_string(), checks: stopping }) })
}

/// The checks `up` runs before `file`: every one that can be asked before the file — those for
/// data loss only when `data_loss` says so; otherwise the drop runs, as it does under dbmate
/// (`squashmate check` reports what it would lose).
pub fn stopping_checks(file: &crate::migration::MigrationFile, data_loss: bool) -> Vec<Check> {
    super::derive::checks(file).into_iter().filter(|c| c.before_the_file && (data_loss || c.kind != CheckKind::DataLoss)).collect()
}
