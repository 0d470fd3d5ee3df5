//! `squashmate squash`: plan → baseline, surgery, rollback and their proof; `--init` writes a
//! commented starter plan.

use std::path::Path;

use anyhow::Context;

use super::database::Target;
use super::progress::Stderr;
use super::{Cli, EXIT_ERROR, EXIT_OK};
use crate::report::Format;
use crate::server::{Provider, ServerOptions};
use crate::squash::{STARTER, SquashOptions, squash};

/// Writes the starter plan, refusing to overwrite one.
pub fn init(plan: &Path) -> anyhow::Result<u8> {
    if plan.exists() {
        anyhow::bail!("{} already exists; edit it, or remove it to start over", plan.display());
    }
    if let Some(dir) = plan.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(plan, STARTER).with_context(|| format!("writing {}", plan.display()))?;
    outln!("Writing: {} (edit it, then run `squashmate squash`)", plan.display());
    Ok(EXIT_OK)
}

/// The production's PostgreSQL major, when known (the first `--targets` entry's server, else
/// the database URL's), and which database said it. Unreachable: unknown.
async fn production_major(cli: &Cli) -> Option<(u32, String)> {
    let url = match &cli.targets {
        Some(_) => super::fleet::read_targets(cli).ok()?.into_iter().next()?.url,
        None => Target::from_cli(cli).ok()?.url,
    };
    let read = async {
        let client = Target { url: url.clone() }.connect().await.ok()?;
        client.query_one("SHOW server_version_num", &[]).await.ok().map(|row| row.get::<_, String>(0))
    };
    let number = tokio::time::timeout(std::time::Duration::from_secs(5), read).await.ok()??;
    Some((number.parse::<u32>().ok()? / 10000, url.redacted()))
}

/// The server the squash runs on: the production's major unless `--pg-version` says otherwise
/// (then a different production major is warned about).
pub async fn server_for(cli: &Cli, server: &ServerOptions) -> ServerOptions {
    let mut server = server.clone();
    match (production_major(cli).await, server.pg_version) {
        (Some((major, source)), None) if server.pg_bin.is_none() && server.provider != Provider::Url => {
            eprintln!("Squashing on PostgreSQL {major}, the production's major ({source}); --pg-version N to choose another");
            server.pg_version = Some(major);
        }
        (Some((major, source)), Some(asked)) if major != asked => {
            eprintln!(
                "Warning: production ({source}) runs PostgreSQL {major}, but the squash is proven on {asked}: the baseline may not load there the same way; use --pg-version {major}"
            );
        }
        _ => {}
    }
    server
}

/// `--resume` / `--abandon`: finishes or undoes the interrupted swap of each migrations
/// directory (the plan's and `-d`'s) that has one.
pub fn finish_interrupted(cli: &Cli, plan: &Path, resume: bool) -> anyhow::Result<u8> {
    let mut dirs: Vec<std::path::PathBuf> = crate::squash::Plan::load(plan).map(|p| p.migrations_dir).unwrap_or_default();
    dirs.extend(cli.migrations_dir.iter().cloned());
    dirs.sort();
    dirs.dedup();
    let mut done = 0;
    for dir in &dirs {
        if crate::migration::interrupted(dir).with_context(|| format!("reading {}", dir.display()))?.is_none() {
            continue;
        }
        if resume {
            crate::migration::resume(dir)?;
            outln!("Finished: {} holds the new set of files", dir.display());
        } else {
            crate::migration::abandon(dir)?;
            outln!("Undone: {} holds the old set of files", dir.display());
        }
        done += 1;
    }
    if done == 0 {
        let listed: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        anyhow::bail!(
            "nothing to {}: no interrupted squash, `plan --write` or `new` in {}",
            if resume { "resume" } else { "abandon" },
            listed.join(", ")
        );
    }
    Ok(EXIT_OK)
}

/// Runs the squash, its progress and lint warnings on stderr as it goes, and prints every
/// check, the files changed and the commit message.
pub async fn run(options: &SquashOptions, format: Format) -> anyhow::Result<u8> {
    let outcome = {
        let progress = Stderr::for_format(format);
        squash(options, &progress).await?
    };
    if format == Format::Markdown {
        out!("{}", outcome.report.markdown());
    } else if format == Format::Json {
        let doc = serde_json::json!({
            "passed": outcome.report.passed,
            "report": outcome.report,
            "written": outcome.written,
            "removed": outcome.removed,
            "report_path": outcome.report_path,
            "commit_message": outcome.commit_message,
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        outln!("Proven on {}:", outcome.report.proven_on);
        for check in &outcome.report.checks {
            outln!("{} {}", if check.passed { "[ok]    " } else { "[FAILED]" }, check.name);
            if !check.passed {
                outln!("         {}", check.detail.replace('\n', "\n         "));
            }
        }
        outln!();
        let roles = outcome.report.roles.summary();
        if !roles.is_empty() {
            outln!("{roles}\n");
        }
        for path in &outcome.written {
            outln!("Writing: {}", path.display());
        }
        if let (Some(first), Some(last)) = (outcome.removed.first(), outcome.removed.last()) {
            outln!("Removed: {} squashed migration file(s), {} … {}", outcome.removed.len(), first.display(), last.display());
        }
        if outcome.report.passed {
            outln!(
                "\nEvery check passed. Commit with:\n\n    git add -A && git commit -m \"{}\"\n",
                outcome.commit_message.lines().next().unwrap_or("")
            );
        } else {
            outln!("\nA check failed: no migration file was replaced. See {}.", outcome.report_path.display());
        }
    }
    Ok(if outcome.report.passed { EXIT_OK } else { EXIT_ERROR })
}

/// `squashmate audit`: prints every reference; exit 1 when code or strings still use one.
pub fn audit(src: &[std::path::PathBuf], plan: &Path, format: crate::report::Format) -> anyhow::Result<u8> {
    let plan = crate::squash::Plan::load(plan)?;
    let roots = if src.is_empty() { plan.src.clone() } else { src.to_vec() };
    if roots.is_empty() {
        anyhow::bail!("no source tree to search: pass --src DIR or set `src` in the plan");
    }
    let hits = crate::squash::audit(&roots, &crate::squash::audit_names(&plan));
    let findings: Vec<crate::report::Diagnostic> = hits
        .iter()
        .map(|h| crate::report::Diagnostic {
            code: format!("retired-{}", serde_json::to_value(h.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()),
            path: h.path.clone(),
            location: Some(crate::migration::LineCol { line: h.line, col: h.col }),
            source_line: Some(h.text.clone()),
            message: format!("{} is referenced here", h.object),
            hint: if h.kind == crate::squash::HitKind::Comment {
                "a comment: update it with the code".into()
            } else {
                "remove this use before retiring it, or pass --force-retire to squash".into()
            },
            severity: if h.kind == crate::squash::HitKind::Comment {
                crate::migration::Severity::Warning
            } else {
                crate::migration::Severity::Error
            },
            part: crate::migration::Part::Outside,
        })
        .collect();
    let blocking = hits.iter().filter(|h| h.kind != crate::squash::HitKind::Comment).count();
    let summary = format!("{} reference(s), {blocking} in code or strings", hits.len());
    out!("{}", crate::report::render(&findings, format, &summary));
    Ok(if blocking > 0 { super::EXIT_FINDINGS } else { EXIT_OK })
}
