//! `squashmate plan --to SOURCE [--from SOURCE]`: the migration that takes the chain's schema
//! (or `--from`) to the declared one; `--write NAME` adds it to the chain, `--apply` runs it on
//! the live `--from` database, each only once it is proven on a copy of the source.

use anyhow::{Context, bail};

use super::database::{Target, describe, describe_postgres};
use super::server_args::ServerArgs;
use super::{Cli, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::catalog::{Catalog, Class, IntrospectOptions};
use crate::drift::{Reader, Side};
use crate::ledger::{DatabaseUrl, LedgerTable, acquire_lock, lock_key, release_lock};
use crate::reconcile::{Plan, PlanOptions, PlannedFile, Proof, ProofInput, Rename, files, plan, prove, runnable};

/// How `plan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Each statement with its class and why.
    Text,
    /// One JSON document.
    Json,
    /// The bare script.
    Sql,
    /// For a pull request: the summary, the statements' table and the script.
    Markdown,
}

/// What `--only` allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnlyClass {
    /// Steps that add or relax without risk.
    Safe,
}

/// `plan`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// The schema to reach: a postgres:// URL, a migrations directory (replayed) or a schema .sql file.
    #[arg(long)]
    pub to: String,
    /// Where from (default: the first migrations directory, replayed).
    #[arg(long)]
    pub from: Option<String>,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Write the plan as `<timestamp>_NAME.sql` into the first migrations directory, once it is
    /// proven: source + up ≡ target, source + up + down ≡ source.
    #[arg(long, value_name = "NAME")]
    pub write: Option<String>,
    /// Apply the plan to the live database of --from (the dev loop): proven first on a copy of
    /// its schema, then run under the migration lock, one transaction per block. No ledger row
    /// is recorded: the chain is unchanged (use --write to add a migration).
    #[arg(long, conflicts_with = "write")]
    pub apply: bool,
    /// Only the loosen-only set (add a nullable column, relax NOT NULL, add an index or a
    /// table…): refuse, saying what, when anything else is needed.
    #[arg(long, value_enum, value_name = "CLASS")]
    pub only: Option<OnlyClass>,
    /// Allow steps that lose data (drops, narrowing types).
    #[arg(long)]
    pub allow_destructive: bool,
    /// With `--format sql`: print what is planned although some differences are not (each named
    /// as `-- NOT PLANNED`) instead of a script that raises before it changes anything. The
    /// exit is 2 all the same; `--write` and `--apply` never take a partial plan.
    #[arg(long)]
    pub allow_partial: bool,
    /// Plain forms: no NOT VALID + VALIDATE, no CONCURRENTLY, SET NOT NULL directly.
    #[arg(long)]
    pub simple: bool,
    /// Also plan grants (`GRANT`/`REVOKE` on tables, columns, schemas, functions); the roles
    /// they name are created, without login, on the throwaway server.
    #[arg(long)]
    pub privileges: bool,
    /// A rename instead of a drop and an add: `schema.table.old=new` (column) or `schema.table=new`.
    #[arg(long = "rename", value_name = "OLD=NEW")]
    pub renames: Vec<String>,
    /// Which server to replay and prove on.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `schema.table.column=new` (a column) or `schema.table=new` (a table).
fn parse_rename(text: &str) -> anyhow::Result<Rename> {
    let (old, new) = text.rsplit_once('=').with_context(|| format!("--rename {text}: expected OLD=NEW"))?;
    let parts = crate::sql::parse_qualified(old).map_err(|e| anyhow::anyhow!("--rename {text}: {e}"))?;
    let new = crate::sql::parse_qualified(new).map_err(|e| anyhow::anyhow!("--rename {text}: {e}"))?;
    let [to] = new.as_slice() else { bail!("--rename {text}: the new name is one name, without schema or table") };
    let (schema, table, column) = match parts.as_slice() {
        [schema, table, column] => (schema, table, Some(column.clone())),
        [schema, table] => (schema, table, None),
        _ => bail!("--rename {text}: name the old object as schema.table.column or schema.table"),
    };
    Ok(Rename { schema: schema.clone(), table: table.clone(), column, to: to.clone() })
}

fn print(plan: &Plan, format: PlanFormat, allow_partial: bool) -> anyhow::Result<()> {
    match format {
        PlanFormat::Text => out!("{}", crate::reconcile::text(plan)),
        PlanFormat::Sql => out!("{}", crate::reconcile::sql(plan, allow_partial)),
        PlanFormat::Json => outln!("{}", serde_json::to_string_pretty(plan)?),
        PlanFormat::Markdown => out!("{}", crate::reconcile::markdown(plan)),
    }
    Ok(())
}

/// Runs the planned blocks on the live database under the migration lock, in order: each
/// transactional block in one transaction, each concurrent index on its own. Returns how many
/// statements ran.
async fn apply_live(cli: &Cli, url: &DatabaseUrl, files: &[PlannedFile]) -> anyhow::Result<usize> {
    let target = Target { url: url.clone() };
    let (client, lock_client) = target.connect_pair().await.map_err(|e| anyhow::anyhow!(describe(&e)))?;
    let ledger = LedgerTable::resolve(&client, &cli.migrations_table, &url.search_path()).await?;
    let key = lock_key(&ledger);
    acquire_lock(&lock_client, key, cli.migration_lock_wait(), |which| eprintln!("Waiting for {which} …")).await?;
    let mut ran = 0;
    let mut result = Ok(());
    for file in files {
        if let Err(e) = client.batch_execute(&runnable(file)).await {
            let _ = client.batch_execute("ROLLBACK").await;
            result = Err(anyhow::anyhow!(
                "applying the plan's block{}: {} ({ran} statement(s) of earlier blocks stay applied)",
                file.suffix,
                describe_postgres(&e)
            ));
            break;
        }
        ran += file.steps.len();
    }
    release_lock(&lock_client, key).await?;
    result.map(|()| ran)
}

/// What stops the plan before it is proven, printed, with its exit code: more than safe under
/// `--only safe` (exit 2), a difference not planned (exit 2, also when only printing), nothing
/// asked beyond printing (exit 1), or destructive steps without `--allow-destructive` (exit 2).
fn refusal(args: &PlanArgs, up: &Plan, renames: &[Rename]) -> Option<u8> {
    if args.only == Some(OnlyClass::Safe) {
        let not_safe: Vec<&crate::reconcile::Step> = up.steps.iter().filter(|s| s.class != Class::Safe).collect();
        if !not_safe.is_empty() || !up.unsupported.is_empty() {
            eprintln!(
                "Refused (--only safe): {} step(s) are more than safe; nothing was written or applied:",
                not_safe.len() + up.unsupported.len()
            );
            not_safe.iter().for_each(|s| eprintln!("  - [{}] {};  ({})", s.class.as_str(), s.sql, s.why));
            up.unsupported.iter().for_each(|u| eprintln!("  - [not planned] {u}"));
            return Some(EXIT_ERROR);
        }
    }
    if !up.unsupported.is_empty() {
        let printed = match (args.write.is_some() || args.apply, args.format, args.allow_partial) {
            (true, _, _) => "nothing was written or applied",
            (false, PlanFormat::Sql, false) => "the printed script raises before it changes anything (--allow-partial prints the rest)",
            (false, PlanFormat::Sql, true) => "the printed script leaves them out",
            (false, _, _) => "change those by hand",
        };
        eprintln!(
            "Refused: the plan does not cover every difference ({} NOT PLANNED, named in the output); {printed}.",
            up.unsupported.len()
        );
        return Some(EXIT_ERROR);
    }
    if args.write.is_none() && !args.apply {
        return Some(EXIT_FINDINGS);
    }
    let destructive = up.destructive();
    if !destructive.is_empty() && !args.allow_destructive {
        eprintln!(
            "Refused: {} step(s) lose data; nothing was written or applied. Review them, then pass --allow-destructive:",
            destructive.len()
        );
        destructive.iter().for_each(|s| eprintln!("  - {};  ({})", s.sql, s.why));
        if up.steps.iter().any(|s| s.sql.contains(" DROP COLUMN ")) && renames.is_empty() {
            eprintln!("  A dropped column and an added one may be a rename: --rename schema.table.old=new keeps the data.");
        }
        return Some(EXIT_ERROR);
    }
    None
}

/// Why a plan did not prove: the failure, and what still differs after up or after down.
fn report_failed_proof(proof: &Proof) {
    eprintln!("Refused: the plan does not prove; nothing was written.");
    if let Some(failure) = &proof.failure {
        eprintln!("  {failure}");
    }
    for d in &proof.after_up {
        eprintln!("  after up, still different: {} ({} → {})", d.path, d.left, d.right);
    }
    for d in &proof.after_down {
        eprintln!("  after down, not restored: {} ({} → {})", d.path, d.left, d.right);
    }
    if let Some(differ) = &proof.dumps_differ {
        eprintln!("  after up, {}", differ.replace('\n', "\n    "));
    }
}

/// Runs `plan`.
pub async fn run(cli: &Cli, args: &PlanArgs) -> anyhow::Result<u8> {
    let introspect = IntrospectOptions { ledger_table: cli.migrations_table.clone(), privileges: args.privileges };
    let reader = Reader::new(args.server.options()?, introspect.clone());
    let from = match &args.from {
        Some(from) => Side::parse(from)?,
        None => Side::Migrations(cli.migrations_dir.first().context("no migrations directory given")?.clone()),
    };
    let to = Side::parse(&args.to)?;
    let (source, target) = tokio::join!(reader.read_into_database(&from), reader.read_into_database(&to));
    let ((source, source_db), (target, target_db)): ((Catalog, Option<String>), (Catalog, Option<String>)) = (source?, target?);
    reader.take_warnings().iter().for_each(|w| eprintln!("{}", crate::report::warning_line(w)));
    let renames = args.renames.iter().map(|r| parse_rename(r)).collect::<anyhow::Result<Vec<_>>>()?;
    let up = plan(&source, &target, &PlanOptions { simple: args.simple, renames: renames.clone() });
    print(&up, args.format, args.allow_partial)?;
    if up.is_empty() {
        eprintln!("Nothing to do: the source already has the target's schema.");
        return Ok(EXIT_OK);
    }
    if let Some(refused) = refusal(args, &up, &renames) {
        return Ok(refused);
    }
    let live = match &from {
        Side::Url(url) => Some(url),
        _ => None,
    };
    if args.apply && live.is_none() {
        bail!("--apply changes a live database: give --from postgres://… (to add a migration to the chain instead, use --write NAME)");
    }
    let source_db = match (source_db, live) {
        (Some(db), _) => db,
        (None, Some(url)) => reader.schema_copy(url).await?,
        (None, None) => bail!("the source has no database to prove on"),
    };
    let server = reader.server().await?;
    let input = ProofInput {
        server,
        source_db: &source_db,
        source: &source,
        target: &target,
        introspect: &introspect,
        down_renames: renames.iter().map(Rename::reversed).collect(),
        target_db: target_db.as_deref(),
    };
    let planned = files(&up);
    let proof = prove(&input, &planned).await?;
    if !proof.holds() {
        report_failed_proof(&proof);
        return Ok(EXIT_ERROR);
    }
    for d in &proof.cosmetic {
        eprintln!("Allowed (cosmetic): {}", d.path);
    }
    if let Some(why) = &proof.dumps_not_compared {
        eprintln!("pg_dump texts not compared: {why}");
    }
    let down = match &proof.down_refuses {
        Some(why) => format!("the down refuses ({why})"),
        None => "source + up + down ≡ source".to_string(),
    };
    let proven = format!("Proven on PostgreSQL {}: source + up ≡ target, {down}.", server.version());
    match (&args.write, live) {
        (Some(name), _) => {
            let named: Vec<(&str, &String)> = planned.iter().map(|f| f.suffix.as_str()).zip(&proof.texts).collect();
            let paths = super::new::create_several(&cli.migrations_dir, name, &named, "plan --write")?;
            eprintln!("{proven} Wrote {} file(s).", paths.len());
        }
        (None, Some(url)) => {
            eprintln!("{proven} Applying to {url}…");
            let statements = apply_live(cli, url, &planned).await?;
            eprintln!(
                "Applied {statements} statement(s) to {url}; no ledger row was recorded (the chain is unchanged: --write NAME adds a migration)."
            );
        }
        (None, None) => unreachable!("--apply without a live source was refused above"),
    }
    Ok(EXIT_FINDINGS)
}
