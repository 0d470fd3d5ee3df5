//! `squashmate plan --to SOURCE [--from SOURCE]`: the migration that takes the chain's schema
//! (or `--from`) to the declared one; `--write NAME` adds it to the chain once it is proven
//! both ways on a copy of the source.

use anyhow::{Context, bail};

use super::{Cli, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::catalog::{Catalog, IntrospectOptions};
use crate::drift::{Reader, Side};
use crate::plan::{Plan, PlanOptions, ProofInput, files, plan, prove};
use crate::server::ServerOptions;

/// How `plan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Each statement with its class and why.
    Text,
    /// One JSON document.
    Json,
    /// The bare script.
    Sql,
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
    /// Allow steps that lose data (drops, narrowing types).
    #[arg(long)]
    pub allow_destructive: bool,
    /// Plain forms: no NOT VALID + VALIDATE, no CONCURRENTLY, SET NOT NULL directly.
    #[arg(long)]
    pub simple: bool,
    /// A rename instead of a drop and an add: `schema.table.old=new` (column) or `schema.table=new`.
    #[arg(long = "rename", value_name = "OLD=NEW")]
    pub renames: Vec<String>,
    /// Which server to replay and prove on.
    #[command(flatten)]
    pub server: ServerOptions,
}

/// `schema.table.column=new` → (`table schema.table / column column`, `new`).
fn parse_rename(text: &str) -> anyhow::Result<(String, String)> {
    let (old, new) = text.rsplit_once('=').with_context(|| format!("--rename {text}: expected OLD=NEW"))?;
    let parts = crate::sql::parse_qualified(old).map_err(|e| anyhow::anyhow!("--rename {text}: {e}"))?;
    let new = crate::sql::parse_qualified(new).map_err(|e| anyhow::anyhow!("--rename {text}: {e}"))?;
    let q = |s: &String| crate::sql::quote_ident_if_needed(s);
    let path = match parts.as_slice() {
        [schema, table, column] => format!("table {}.{} / column {}", q(schema), q(table), q(column)),
        [schema, table] => format!("table {}.{}", q(schema), q(table)),
        _ => bail!("--rename {text}: name the old object as schema.table.column or schema.table"),
    };
    match new.as_slice() {
        [name] => Ok((path, q(name))),
        _ => bail!("--rename {text}: the new name is one name, without schema or table"),
    }
}

/// The way back: the renames reversed.
fn reversed(renames: &[(String, String)]) -> Vec<(String, String)> {
    renames
        .iter()
        .map(|(old_path, new_name)| {
            let (head, old_name) = old_path.rsplit_once(' ').expect("a path has a kind and a name");
            let new_path = match old_path.split_once(" / ") {
                Some(_) => format!("{head} {new_name}"),
                None => format!("{head} {}.{new_name}", old_name.split_once('.').map_or("public", |(s, _)| s)),
            };
            let old_short = old_name.rsplit_once('.').map_or(old_name, |(_, n)| n);
            (new_path, old_short.to_string())
        })
        .collect()
}

fn print(plan: &Plan, format: PlanFormat) -> anyhow::Result<()> {
    match format {
        PlanFormat::Text => out!("{}", crate::plan::text(plan)),
        PlanFormat::Sql => out!("{}", crate::plan::sql(plan)),
        PlanFormat::Json => outln!("{}", serde_json::to_string_pretty(plan)?),
    }
    Ok(())
}

/// Runs `plan`.
pub async fn run(cli: &Cli, args: &PlanArgs) -> anyhow::Result<u8> {
    let introspect = IntrospectOptions { ledger_table: cli.migrations_table.clone(), ..IntrospectOptions::default() };
    let reader = Reader::new(args.server.clone(), introspect.clone());
    let from = match &args.from {
        Some(from) => Side::parse(from)?,
        None => Side::Migrations(cli.migrations_dir.first().context("no migrations directory given")?.clone()),
    };
    let to = Side::parse(&args.to)?;
    let (source, target) = tokio::join!(reader.read_into_database(&from), reader.read(&to));
    let ((source, source_db), target): ((Catalog, Option<String>), Catalog) = (source?, target?);
    reader.take_warnings().iter().for_each(|w| eprintln!("{}", crate::report::warning_line(w)));
    let renames = args.renames.iter().map(|r| parse_rename(r)).collect::<anyhow::Result<Vec<_>>>()?;
    let up = plan(&source, &target, &PlanOptions { simple: args.simple, renames: renames.clone() });
    print(&up, args.format)?;
    if up.is_empty() {
        eprintln!("Nothing to do: the source already has the target's schema.");
        return Ok(EXIT_OK);
    }
    let Some(name) = &args.write else { return Ok(EXIT_FINDINGS) };
    if !up.unsupported.is_empty() {
        eprintln!("Refused: the plan does not cover every difference (NOT PLANNED above); nothing was written.");
        return Ok(EXIT_ERROR);
    }
    let destructive = up.destructive();
    if !destructive.is_empty() && !args.allow_destructive {
        eprintln!("Refused: {} step(s) lose data; nothing was written. Review them, then pass --allow-destructive:", destructive.len());
        destructive.iter().for_each(|s| eprintln!("  - {};  ({})", s.sql, s.why));
        if up.steps.iter().any(|s| s.sql.contains(" DROP COLUMN ")) && renames.is_empty() {
            eprintln!("  A dropped column and an added one may be a rename: --rename schema.table.old=new keeps the data.");
        }
        return Ok(EXIT_ERROR);
    }
    let Some(source_db) = source_db else {
        bail!("--write proves the plan on a copy of the source; a live database is only read: give --from as a migrations directory or a schema .sql file");
    };
    let server = reader.server().await?;
    let input = ProofInput { server, source_db: &source_db, source: &source, target: &target, introspect: &introspect, down_renames: reversed(&renames) };
    let planned = files(&up);
    let proof = prove(&input, &planned).await?;
    if !proof.holds() {
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
        return Ok(EXIT_ERROR);
    }
    for d in &proof.cosmetic {
        eprintln!("Allowed (cosmetic): {}", d.path);
    }
    let paths = super::new::create_several(&cli.migrations_dir, name, &planned.iter().map(|f| f.suffix.as_str()).zip(&proof.texts).collect::<Vec<_>>())?;
    let down = match &proof.down_refuses {
        Some(why) => format!("the down refuses ({why})"),
        None => "source + up + down ≡ source".to_string(),
    };
    eprintln!("Proven on PostgreSQL {}: source + up ≡ target, {down}. Wrote {} file(s).", server.version(), paths.len());
    Ok(EXIT_FINDINGS)
}
