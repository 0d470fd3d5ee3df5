//! Runs one job per target with bounded parallelism and collects one result per target, in
//! the targets' order; a failing or unreachable target never stops the others.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::targets::FleetTarget;
use crate::progress::Tally;

/// What a job reports for its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// The ledger position afterwards (the newest applied version), when known.
    pub position: Option<String>,
    /// What happened, in a few words.
    pub summary: String,
}

/// One target's result.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TargetResult {
    /// The URL, password hidden.
    pub target: String,
    /// The line of the targets file.
    pub line: usize,
    /// The newest applied version, when known.
    pub position: Option<String>,
    /// Whether the job succeeded.
    pub ok: bool,
    /// What happened, or why it failed.
    pub result: String,
    /// Wall time (`took_ms` in JSON).
    #[serde(rename = "took_ms", serialize_with = "crate::report::as_millis", deserialize_with = "from_millis")]
    pub took: Duration,
}

fn from_millis<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    <u64 as serde::Deserialize>::deserialize(deserializer).map(Duration::from_millis)
}

impl TargetResult {
    /// A target that was not tried, and why.
    pub fn skipped(target: &FleetTarget, why: &str) -> Self {
        TargetResult {
            target: target.url.redacted(),
            line: target.line,
            position: None,
            ok: false,
            result: format!("skipped: {why}"),
            took: Duration::ZERO,
        }
    }
}

/// Runs `job` on every target, at most `parallel` at once; its outputs in the targets' order.
/// `on_done` hears of each output as its job ends.
pub async fn map_bounded<T, F, Fut>(targets: &[FleetTarget], parallel: usize, job: F, mut on_done: impl FnMut(&T)) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(FleetTarget) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let mut running = tokio::task::JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        let (permits, work) = (permits.clone(), job(target.clone()));
        running.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            (index, work.await)
        });
    }
    let mut outputs: Vec<Option<T>> = (0..targets.len()).map(|_| None).collect();
    while let Some(joined) = running.join_next().await {
        let (index, output) = joined.expect("a target's job does not panic");
        on_done(&output);
        outputs[index] = Some(output);
    }
    outputs.into_iter().map(|o| o.expect("every target has an output")).collect()
}

/// Runs `job` on every target, at most `parallel` at once, timing each; results in the
/// targets' order. `tally` counts each target as its job ends.
pub async fn for_each<F, Fut>(targets: &[FleetTarget], parallel: usize, tally: &Tally<'_>, job: F) -> Vec<TargetResult>
where
    F: Fn(FleetTarget) -> Fut,
    Fut: Future<Output = Result<Done, String>> + Send + 'static,
{
    let job = |target: FleetTarget| {
        let work = job(target.clone());
        async move {
            let started = Instant::now();
            let outcome = work.await;
            let took = started.elapsed();
            let (ok, position, result) = match outcome {
                Ok(done) => (true, done.position, done.summary),
                Err(why) => (false, None, why),
            };
            TargetResult { target: target.url.redacted(), line: target.line, position, ok, result, took }
        }
    };
    map_bounded(targets, parallel, job, |r: &TargetResult| tally.one_done(&format!("{} {}", r.target, if r.ok { "ok" } else { "FAILED" })))
        .await
}

/// The results as a table: target, position, result, time.
/// The results as a Markdown table under its summary line (a job summary, a PR comment).
pub fn render_markdown(results: &[TargetResult]) -> String {
    use crate::report::markdown::{cell, code, table};
    let failed = results.iter().filter(|r| !r.ok).count();
    let mark = if failed == 0 { "✅" } else { "❌" };
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            vec![
                code(&r.target),
                r.position.as_deref().map_or_else(|| "-".to_string(), code),
                format!("{:.1}s", r.took.as_secs_f64()),
                format!("{} {}", if r.ok { "ok" } else { "**FAILED**" }, cell(&r.result)),
            ]
        })
        .collect();
    format!(
        "{mark} **{} target(s): {} ok, {failed} failed**\n\n{}",
        results.len(),
        results.len() - failed,
        table("targets", &["Target", "Position", "Time", "Result"], &rows)
    )
}

/// The results as a text table.
pub fn render_table(results: &[TargetResult]) -> String {
    let width = |f: &dyn Fn(&TargetResult) -> usize, title: usize| results.iter().map(f).max().unwrap_or(0).max(title);
    let (tw, pw) = (width(&|r| r.target.chars().count(), 6), width(&|r| r.position.as_deref().map_or(1, str::len), 8));
    let mut out = format!("{:tw$}  {:pw$}  {:>8}  result\n", "target", "position", "time");
    for r in results {
        let time = format!("{:.1}s", r.took.as_secs_f64());
        let mark = if r.ok { "ok" } else { "FAILED" };
        out.push_str(&format!("{:tw$}  {:pw$}  {time:>8}  {mark}: {}\n", r.target, r.position.as_deref().unwrap_or("-"), r.result));
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    out.push_str(&format!("\n{} target(s): {} ok, {failed} failed\n", results.len(), results.len() - failed));
    out
}
