//! The proof, on one ephemeral server: the old chain with sample rows (A) plus the surgery
//! equals a fresh database built from the baseline (B); the rollback brings A back, every
//! retired value included; both scripts refuse a second run; a new migration applies on both.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::inspect::Details;
use super::scripts::ScriptInput;
use crate::catalog::{Catalog, Class, Difference, IntrospectOptions, diff, introspect};
use crate::ledger::{LedgerTable, Migrator};
use crate::server::{EphemeralServer, ServerError};

/// One verification check and its result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// Details: the differences or the error.
    pub detail: String,
    /// How long it took.
    #[serde(skip)]
    pub took: Duration,
}

/// Copies `template` into a new database. Our own connections to it must be dropped first;
/// PostgreSQL waits 5 s for closing ones, and this retries a few times after that.
pub async fn clone_db(server: &EphemeralServer, template: &str) -> Result<String, ServerError> {
    let mut tries = 0;
    loop {
        match server.create_database(Some(template)).await {
            Err(ServerError::Sql(e)) if e.code().map(|c| c.code()) == Some("55006") && tries < 3 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

async fn read(client: &Client, backup_schema: &str, backup_tables: &[String]) -> Result<Catalog, tokio_postgres::Error> {
    let mut catalog = introspect(client, &IntrospectOptions::default()).await?;
    catalog.objects.retain(|path, _| {
        let in_backup_schema =
            !backup_schema.is_empty() && (path.contains(&format!(" {backup_schema}.")) || path == &format!("schema {backup_schema}"));
        !in_backup_schema && !backup_tables.iter().any(|t| path == t || path.starts_with(&format!("{t} / ")))
    });
    Ok(catalog)
}

fn describe(differences: &[Difference]) -> String {
    differences.iter().map(|d| format!("{} [{}]: {} → {}", d.path, d.class.as_str(), d.left, d.right)).collect::<Vec<_>>().join("\n")
}

async fn ledger_versions(client: &Client, ledger: &LedgerTable) -> Result<Vec<String>, tokio_postgres::Error> {
    Ok(client.query(&ledger.select_sql(), &[]).await?.iter().map(|r| r.get(0)).collect())
}

/// The values of the retired columns, by key, as text.
async fn retired_values(client: &Client, details: &Details) -> Result<Vec<String>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for c in &details.columns {
        let keys: Vec<String> = c.key.iter().map(|k| crate::sql::quote_ident(k)).collect();
        let sql = format!(
            "SELECT coalesce(string_agg(row({}, {})::text, E'\\n' ORDER BY {}), '') FROM {}",
            keys.join(", "),
            crate::sql::quote_ident(&c.name.column),
            keys.join(", "),
            c.name.table
        );
        out.push(client.query_one(&sql, &[]).await?.get(0));
    }
    Ok(out)
}

/// Runs `script` once more on a database it already ran on: it must fail, and leave the schema
/// and the ledger as they were.
async fn refuses_again(client: &Client, script: &str, ledger: &LedgerTable) -> Result<Result<(), String>, tokio_postgres::Error> {
    let before = (read(client, "", &[]).await?, ledger_versions(client, ledger).await?);
    let second = client.batch_execute(script).await;
    let _ = client.batch_execute("ROLLBACK").await;
    let after = (read(client, "", &[]).await?, ledger_versions(client, ledger).await?);
    Ok(match second {
        Ok(()) => Err("a second run succeeded".into()),
        Err(_) if before.1 != after.1 => Err(format!("the ledger changed: {:?} → {:?}", before.1, after.1)),
        Err(_) if diff(&before.0, &after.0).is_empty() => Ok(()),
        Err(_) => Err(describe(&diff(&before.0, &after.0))),
    })
}

/// Everything the checks need.
pub struct VerifyInput<'a> {
    /// The server.
    pub server: &'a EphemeralServer,
    /// The replayed old chain with sample rows (A).
    pub seeded_db: &'a str,
    /// The surgery and rollback texts.
    pub surgery: &'a str,
    /// The rollback.
    pub rollback: &'a str,
    /// The new migrations directory content (the baseline, as a migrator).
    pub new_chain: &'a Migrator,
    /// The scripts' inputs (backup names).
    pub scripts: &'a ScriptInput<'a>,
    /// The retired objects.
    pub details: &'a Details,
}

/// Runs every check; never stops at the first failure.
pub async fn verify(input: &VerifyInput<'_>) -> Result<Vec<Check>, ServerError> {
    let server = input.server;
    let ledger = input.scripts.ledger;
    let backup_schema = format!("squashmate_backup_{}", input.scripts.date);
    // Backup tables as catalog paths name them (the server's quote_ident: quotes only where needed).
    let quoting = server.connect(input.seeded_db).await?;
    let mut backup_tables = Vec::new();
    for t in input
        .details
        .tables
        .iter()
        .map(|t| input.scripts.backup_table(&t.name))
        .chain(input.details.columns.iter().map(|c| input.scripts.column_backup(c)))
    {
        let row =
            quoting.query_one("SELECT quote_ident($1) || '.' || quote_ident($2)", &[&t.schema, &t.name]).await.map_err(ServerError::Sql)?;
        backup_tables.push(format!("table {}", row.get::<_, String>(0)));
    }
    drop(quoting);
    let mut checks = Vec::new();

    // A′ = A + surgery, and B = fresh + up of the new directory — built at the same time.
    let started = Instant::now();
    let build_a_prime = async {
        let a_prime = clone_db(server, input.seeded_db).await?;
        let client = server.connect(&a_prime).await?;
        let result = client.batch_execute(input.surgery).await.map_err(|e| crate::ledger::with_causes(&e));
        Ok::<_, ServerError>((a_prime, client, result, started.elapsed()))
    };
    let build_b = async {
        let b = server.create_database(None).await?;
        let client = server.connect(&b).await?;
        let result = input.new_chain.up(&client, &client, &mut |_| {}).await.map(|_| ()).map_err(|e| e.to_string());
        Ok::<_, ServerError>((b, client, result, started.elapsed()))
    };
    let (a_side, b_side) = tokio::join!(build_a_prime, build_b);
    let ((a_prime, client_ap, surgery_result, a_took), (b, client_b, up, b_took)) = (a_side?, b_side?);
    checks.push(Check {
        name: "surgery runs on the old chain with sample rows".into(),
        passed: surgery_result.is_ok(),
        detail: surgery_result.err().unwrap_or_default(),
        took: a_took,
    });
    checks.push(Check {
        name: "the baseline applies on a fresh database (squashmate up)".into(),
        passed: up.is_ok(),
        detail: up.err().unwrap_or_default(),
        took: b_took,
    });

    let mut record = |name: &str, started: Instant, result: Result<(), String>| {
        checks.push(Check { name: name.into(), passed: result.is_ok(), detail: result.err().unwrap_or_default(), took: started.elapsed() });
    };
    let started = Instant::now();
    let equal = async {
        let (ap, bb) = (read(&client_ap, &backup_schema, &backup_tables).await?, read(&client_b, &backup_schema, &backup_tables).await?);
        let differences: Vec<Difference> = diff(&ap, &bb).into_iter().filter(|d| d.class != Class::Cosmetic).collect();
        let ledgers = (ledger_versions(&client_ap, ledger).await?, ledger_versions(&client_b, ledger).await?);
        Ok::<_, tokio_postgres::Error>((differences, ledgers))
    }
    .await;
    record(
        "old chain + surgery ≡ fresh baseline (schema and ledger)",
        started,
        match equal {
            Ok((d, _)) if !d.is_empty() => Err(describe(&d)),
            Ok((_, (l, r))) if l != r => Err(format!("ledgers differ: {l:?} vs {r:?}")),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        },
    );

    // The surgery refuses a second run without changing anything.
    let started = Instant::now();
    let refused = refuses_again(&client_ap, input.surgery, ledger).await.map_err(ServerError::Sql)?;
    record("the surgery refuses a second run and changes nothing", started, refused);

    // A″ = A′ + rollback ≡ A, values restored row for row.
    let started = Instant::now();
    drop(client_ap);
    let a_second = clone_db(server, &a_prime).await?;
    let client_a2 = server.connect(&a_second).await?;
    let rollback = client_a2.batch_execute(input.rollback).await.map_err(|e| crate::ledger::with_causes(&e));
    record("the rollback runs after the surgery", started, rollback);
    let started = Instant::now();
    let client_a = server.connect(input.seeded_db).await?;
    let restored = async {
        let (a, a2) = (read(&client_a, "", &[]).await?, read(&client_a2, "", &[]).await?);
        let differences: Vec<Difference> = diff(&a, &a2).into_iter().filter(|d| d.class != Class::Cosmetic).collect();
        let values = (retired_values(&client_a, input.details).await?, retired_values(&client_a2, input.details).await?);
        let ledgers = (ledger_versions(&client_a, ledger).await?, ledger_versions(&client_a2, ledger).await?);
        Ok::<_, tokio_postgres::Error>((differences, values, ledgers))
    }
    .await;
    record(
        "old chain + surgery + rollback ≡ old chain (schema, ledger, every retired value)",
        started,
        match restored {
            Ok((d, _, _)) if !d.is_empty() => Err(describe(&d)),
            Ok((_, (l, r), _)) if l != r => Err("retired values differ after the rollback".into()),
            Ok((_, _, (l, r))) if l != r => Err(format!("ledgers differ: {l:?} vs {r:?}")),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        },
    );
    let started = Instant::now();
    let refused = refuses_again(&client_a2, input.rollback, ledger).await.map_err(ServerError::Sql)?;
    record("the rollback refuses a second run and changes nothing", started, refused);
    drop(client_b);
    // A forward migration applies on both.
    let started = Instant::now();
    let forward = crate::migration::MigrationFile::parse(
        "99999999999999_squashmate_forward_probe.sql",
        "-- migrate:up\ncreate table squashmate_forward_probe (id bigint primary key);\n-- migrate:down\ndrop table squashmate_forward_probe;\n".into(),
    )
    .expect("a migration name");
    let mut forward_result = Ok(());
    for (label, db) in [("old chain + surgery", &a_prime), ("fresh baseline", &b)] {
        let outcome = match server.connect(db).await {
            Ok(c) => crate::ledger::apply_file(&c, &forward, ledger).await.map(|_| ()).map_err(|e| format!("{label}: {e}")),
            Err(e) => Err(format!("{label}: {e}")),
        };
        if forward_result.is_ok() {
            forward_result = outcome;
        }
    }
    record("a new migration applies on both", started, forward_result);
    Ok(checks)
}
