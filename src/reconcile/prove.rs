//! The proof a written plan must pass on the ephemeral server before any file exists. First
//! each file's up runs on a copy of the source and the schema after it is read, which gives
//! each file its down (the plan from after it back to before it). Then, on a fresh copy, the
//! files run as `up` runs them and must give the target; rolled back as `rollback` does, they
//! must give the source again (cosmetic differences allowed and listed).

use std::path::PathBuf;

use super::build::{PlanOptions, plan};
use super::model::Block;
use super::render::{PlannedFile, file_text};
use crate::catalog::{Catalog, Change, Class, Difference, IntrospectOptions, Prop, diff, introspect};
use crate::ledger::{Migrator, RollbackTarget};
use crate::server::{EphemeralServer, ServerError};

/// What the proof found, and the files' texts.
#[derive(Debug, Default)]
pub struct Proof {
    /// The files' texts, in order.
    pub texts: Vec<String>,
    /// What still differs from the target after the ups (cosmetic ones left out).
    pub after_up: Vec<Difference>,
    /// What differs from the source after the downs.
    pub after_down: Vec<Difference>,
    /// Cosmetic differences after the ups (names, column order), for the record.
    pub cosmetic: Vec<Difference>,
    /// Why an up or a down could not run, if one could not.
    pub failure: Option<String>,
    /// Why the downs were not run: one refuses by design (no inverse exists).
    pub down_refuses: Option<String>,
    /// What the second judge found: `pg_dump --schema-only` of source + up against the target's.
    pub dumps_differ: Option<String>,
    /// Why the second judge did not run, if it did not.
    pub dumps_not_compared: Option<String>,
}

impl Proof {
    /// Whether the plan does what it says, both ways.
    pub fn holds(&self) -> bool {
        self.failure.is_none() && self.after_up.is_empty() && self.after_down.is_empty() && self.dumps_differ.is_none()
    }
}

/// What the proof works with.
pub struct ProofInput<'a> {
    /// The server.
    pub server: &'a EphemeralServer,
    /// The database holding the source (copied, never changed).
    pub source_db: &'a str,
    /// Its schema.
    pub source: &'a Catalog,
    /// The schema to reach.
    pub target: &'a Catalog,
    /// How schemas are read.
    pub introspect: &'a IntrospectOptions,
    /// The plan's renames reversed (`--rename`), for the main file's down.
    pub down_renames: Vec<super::Rename>,
    /// The database holding the target, for the `pg_dump` judge (`None`: not compared).
    pub target_db: Option<&'a str>,
}

fn without_cosmetic(differences: Vec<Difference>) -> (Vec<Difference>, Vec<Difference>) {
    differences.into_iter().partition(|d| d.class != Class::Cosmetic)
}

/// A migrator of the texts, named in order after the chain's newest version.
fn migrator(texts: &[String]) -> Result<Migrator, String> {
    Migrator::from_sources(
        texts.iter().enumerate().map(|(i, t)| (PathBuf::from(format!("{}_planned.sql", 99_999_999_999_900 + i)), t.clone())),
    )
    .map_err(|e| format!("the written files do not read back: {e}"))
}

/// `pg_dump --schema-only` of `db` without the ledger (privileges and owners only where they
/// are compared), psql meta-commands dropped.
async fn schema_text(input: &ProofInput<'_>, db: &str) -> Result<String, String> {
    let (mut command, _) = input.server.pg_dump(db).map_err(|e| e.to_string())?;
    command.args(["--schema-only", &format!("--exclude-table=*.{}", input.introspect.ledger_table)]);
    if !input.introspect.privileges {
        command.args(["--no-owner", "--no-privileges"]);
    }
    let out = command.output().await.map_err(|e| format!("cannot run pg_dump: {e}"))?;
    if !out.status.success() {
        return Err(format!("pg_dump: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(crate::dump::strip_psql_meta_commands(&String::from_utf8_lossy(&out.stdout)))
}

/// The second judge, once the catalogs agree: the dumps of source + up (`db`) and of the target
/// hold the same lines. Cosmetic differences other than column order (a name the catalog does
/// not compare) would show in the dump, so then it is not run, and the proof says so.
async fn judge_dumps(input: &ProofInput<'_>, db: &str, proof: &mut Proof) -> Result<(), ServerError> {
    let Some(target_db) = input.target_db else {
        proof.dumps_not_compared = Some("the target is a live database: compared by catalog only".into());
        return Ok(());
    };
    if !proof.after_up.is_empty() {
        return Ok(());
    }
    if let Some(named) = proof.cosmetic.iter().find(|d| d.change != Change::Property(Prop::Position)) {
        proof.dumps_not_compared = Some(format!("a cosmetic difference the dump would show ({})", named.path));
        return Ok(());
    }
    let (planned, target) = tokio::join!(schema_text(input, db), schema_text(input, target_db));
    match (planned, target) {
        (Ok(planned), Ok(target)) => {
            proof.dumps_differ = crate::dump::compare_dumps("source + up", &planned, "target", &target).err();
        }
        (Err(e), _) | (_, Err(e)) => proof.failure = Some(e),
    }
    Ok(())
}

/// Proves `files`; the texts to write are in the result.
pub async fn prove(input: &ProofInput<'_>, files: &[PlannedFile]) -> Result<Proof, ServerError> {
    let mut proof = Proof::default();
    // Each file's up, one after the other, to learn the schema after each.
    let db = input.server.create_database(Some(input.source_db)).await?;
    let (client, lock_client) = (input.server.connect(&db).await?, input.server.connect(&db).await?);
    let mut before = input.source.clone();
    let mut ups: Vec<String> = Vec::new();
    for file in files {
        ups.push(file_text(file, &Default::default()));
        let applied = match migrator(&ups) {
            Ok(m) => m.up(&client, &lock_client, &mut |_| {}).await.map_err(|e| crate::report::with_causes(&e)),
            Err(e) => Err(e),
        };
        if let Err(e) = applied {
            proof.failure = Some(format!("the up of the file{} fails: {e}", file.suffix));
            return Ok(proof);
        }
        let after = introspect(&client, input.introspect).await?;
        let renames = if file.block == Block::Main { input.down_renames.clone() } else { Vec::new() };
        let down = plan(&after, &before, &PlanOptions { simple: true, renames });
        if !down.unsupported.is_empty() && proof.down_refuses.is_none() {
            proof.down_refuses = Some(down.unsupported.join("; "));
        }
        proof.texts.push(file_text(file, &down));
        before = after;
    }
    // The files as written: up to the target, and back to the source.
    let db = input.server.create_database(Some(input.source_db)).await?;
    let (client, lock_client) = (input.server.connect(&db).await?, input.server.connect(&db).await?);
    let written = match migrator(&proof.texts) {
        Ok(m) => m,
        Err(e) => {
            proof.failure = Some(e);
            return Ok(proof);
        }
    };
    if let Err(e) = written.up(&client, &lock_client, &mut |_| {}).await {
        proof.failure = Some(format!("the written files do not apply: {}", crate::report::with_causes(&e)));
        return Ok(proof);
    }
    (proof.after_up, proof.cosmetic) = without_cosmetic(diff(input.target, &introspect(&client, input.introspect).await?));
    judge_dumps(input, &db, &mut proof).await?;
    if proof.down_refuses.is_some() {
        return Ok(proof);
    }
    if let Err(e) = written.rollback(&client, &lock_client, &RollbackTarget::Steps(files.len()), &mut |_| {}).await {
        proof.failure = Some(format!("a down fails: {}", crate::report::with_causes(&e)));
        return Ok(proof);
    }
    proof.after_down = without_cosmetic(diff(input.source, &introspect(&client, input.introspect).await?)).0;
    Ok(proof)
}
