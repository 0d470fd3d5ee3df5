//! Asks a database a file's checks, inside the caller's transaction: each bounded (the first
//! few offending keys, a count that stops at [`COUNT_CAP`]), each behind a savepoint so one
//! that cannot run does not end the others. A derived check that cannot run here (its table
//! not made yet, a function this major lacks) is skipped and says why — never blamed on the
//! migration; a declared one that cannot run fails, naming the error.

use tokio_postgres::Client;

use super::derive::{Check, CheckKind, NullKeys, Probe, constraint_probe};
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

/// The two queries of a probe: the first offending keys, and the offending rows (bounded).
struct Questions {
    samples: String,
    rows: String,
}

/// Runs `checks` on `client`, which must be in a transaction (read-only, for `check`).
pub async fn run_checks(client: &Client, checks: &[Check]) -> Result<Vec<CheckOutcome>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for check in checks {
        let verdict = match questions(client, &check.probe).await? {
            Err(why) => Verdict::Skipped { why },
            Ok(questions) => ask(client, check, &questions).await?,
        };
        out.push(CheckOutcome { check: check.clone(), verdict });
    }
    Ok(out)
}

async fn ask(client: &Client, check: &Check, questions: &Questions) -> Result<Verdict, tokio_postgres::Error> {
    client.batch_execute("SAVEPOINT squashmate_check").await?;
    let answer = async {
        let samples: Vec<String> = client
            .query(&questions.samples, &[])
            .await?
            .iter()
            .map(|r| r.get::<_, Option<String>>(0).unwrap_or_else(|| "NULL".into()))
            .collect();
        let count: i64 = if samples.is_empty() { 0 } else { client.query_one(&questions.rows, &[]).await?.get(0) };
        Ok::<_, tokio_postgres::Error>((count, samples))
    }
    .await;
    match answer {
        Ok((count, samples)) => {
            client.batch_execute("RELEASE SAVEPOINT squashmate_check").await?;
            Ok(if count == 0 {
                Verdict::Passed
            } else {
                Verdict::Failed { count: count.min(COUNT_CAP), capped: count > COUNT_CAP, samples }
            })
        }
        Err(e) if e.as_db_error().is_some() => {
            client.batch_execute("ROLLBACK TO SAVEPOINT squashmate_check").await?;
            let message = e.as_db_error().map(|db| db.message().to_string()).unwrap_or_default();
            let conversion = matches!(check.probe, Probe::Cast { .. }) && e.code().is_some_and(|c| c.code().starts_with("22"));
            Ok(if conversion {
                Verdict::Failed { count: 1, capped: true, samples: vec![message] }
            } else if check.kind == CheckKind::Declared {
                Verdict::Broken { message }
            } else {
                Verdict::Skipped { why: format!("could not be checked here: {message}") }
            })
        }
        Err(e) => Err(e),
    }
}

/// The queries for `probe`, or why it cannot be asked here.
async fn questions(client: &Client, probe: &Probe) -> Result<Result<Questions, String>, tokio_postgres::Error> {
    let bounded = |from_where: &str, shown: &str| Questions {
        samples: format!("SELECT ({shown})::text FROM {from_where} LIMIT {SAMPLES}"),
        rows: format!("SELECT count(*) FROM (SELECT 1 FROM {from_where} LIMIT {}) AS offending", COUNT_CAP + 1),
    };
    let table = match probe {
        Probe::Query { sql } => return Ok(Ok(bounded(&format!("({sql}) AS q"), "q"))),
        Probe::Rows { table, .. } | Probe::Duplicates { table, .. } | Probe::Constraint { table, .. } | Probe::Cast { table, .. } => table,
    };
    if !client.query_one("SELECT to_regclass($1) IS NOT NULL", &[table]).await?.get::<_, bool>(0) {
        return Ok(Err(format!("{table} does not exist here yet (an earlier migration makes it)")));
    }
    Ok(Ok(match probe {
        Probe::Rows { table, condition } => bounded(&format!("{table} AS t WHERE {condition}"), &key(client, table).await?),
        Probe::Duplicates { table, columns, nulls } => {
            let list = columns.join(", ");
            let any_null = columns.iter().map(|c| format!("{c} IS NULL")).collect::<Vec<_>>().join(" OR ");
            let (keys, null_rows) = match nulls {
                NullKeys::Distinct => (format!(" WHERE NOT ({any_null})"), String::new()),
                NullKeys::NotDistinct => (String::new(), String::new()),
                NullKeys::Offend => (String::new(), format!(" UNION ALL SELECT row({list}) FROM {table} WHERE {any_null}")),
            };
            let from = format!("(SELECT row({list}) AS k FROM {table}{keys} GROUP BY {list} HAVING count(*) > 1{null_rows}) AS d");
            bounded(&from, "d.k")
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
                Some(probe) => return Box::pin(questions(client, &probe)).await,
                None => return Ok(Err(format!("constraint {name} ({definition}) checks nothing a query can ask before it runs"))),
            }
        }
        Probe::Cast { table, column, type_sql } => {
            let number: String = client.query_one("SHOW server_version_num", &[]).await?.get(0);
            // Text read as the new type is what pg_input_is_valid answers; from another type the
            // cast function decides (numeric 1.5 becomes integer 2), so only the cast can tell.
            let category: Option<String> = client
                .query_one(
                    &format!("SELECT typcategory::text FROM pg_catalog.pg_type WHERE oid = pg_typeof((NULL::{table}).{column})"),
                    &[],
                )
                .await?
                .get(0);
            if number.parse::<u32>().unwrap_or(0) >= 160_000 && category.as_deref() == Some("S") {
                let condition = format!("t.{column} IS NOT NULL AND NOT pg_input_is_valid(t.{column}::text, {})", quote_literal(type_sql));
                bounded(&format!("{table} AS t WHERE {condition}"), &key(client, table).await?)
            } else {
                // The conversion itself (no per-value test before 16, nor from a non-text type): its
                // error names a value.
                Questions {
                    samples: format!(
                        "SELECT NULL::text FROM (SELECT count(t.{column}::{type_sql}) AS n FROM {table} AS t) AS converted WHERE converted.n < 0"
                    ),
                    rows: String::new(),
                }
            }
        }
        Probe::Query { .. } => unreachable!("answered above"),
    }))
}

/// How a row of `table` is shown: its primary key as a row, else its `ctid`.
async fn key(client: &Client, table: &str) -> Result<String, tokio_postgres::Error> {
    let columns: Option<String> = client
        .query_one(
            "SELECT string_agg('t.' || quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
             WHERE i.indrelid = to_regclass($1) AND i.indisprimary",
            &[&table],
        )
        .await?
        .get(0);
    Ok(match columns {
        Some(columns) if columns.contains(',') => format!("row({columns})"),
        Some(column) => column,
        None => "t.ctid".into(),
    })
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

/// The checks `up` runs before `file`: every one that can be asked before the file but those
/// for data loss — the statement would run, as it does under dbmate (`squashmate check`
/// reports what it would lose).
pub fn stopping_checks(file: &crate::migration::MigrationFile) -> Vec<Check> {
    super::derive::checks(file).into_iter().filter(|c| c.before_the_file && c.kind != CheckKind::DataLoss).collect()
}
