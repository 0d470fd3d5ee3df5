//! One planning case end to end, shared by the corpora: a chain holding `base`, the plan to
//! `changed` written (`--write`), applied with the real dbmate, compared with `changed` loaded
//! directly (the catalog, and the `pg_dump --schema-only` text, up to line order, wherever no
//! cosmetic difference remains), rolled back with dbmate, compared with `base` again (or, where
//! a down refuses because the change has no inverse, unchanged by the refusal).

use squashmate::server::EphemeralServer;

/// Where the cases run: one server for a whole corpus (plan and diff make their scratch
/// databases on it too, `--pg url`).
pub struct Bench {
    pub runtime: tokio::runtime::Runtime,
    pub server: EphemeralServer,
    admin: String,
}

/// What a case that held left behind.
pub struct Held {
    /// The written migration files, in order, each as `<name without version>\n<text>`.
    pub written: String,
    /// Whether the `pg_dump` texts were compared (no cosmetic difference remained).
    pub dump_compared: bool,
}

impl Bench {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(super::local_server());
        let admin = server.url("postgres");
        Bench { runtime, server, admin }
    }

    fn on_this_server(&self) -> [&str; 4] {
        ["--pg", "url", "--pg-url", self.admin.as_str()]
    }

    /// `pg_dump --schema-only` of `db` without dbmate's ledger, its `\restrict` lines removed.
    pub fn schema_text(&self, db: &str) -> String {
        let (mut command, _) = self.server.pg_dump(db).unwrap();
        command.args(["--schema-only", "--no-owner", "--exclude-table=public.schema_migrations"]);
        let out = self.runtime.block_on(async { command.output().await }).unwrap();
        assert!(out.status.success(), "pg_dump {db}: {}", String::from_utf8_lossy(&out.stderr));
        squashmate::dump::strip_psql_meta_commands(&String::from_utf8_lossy(&out.stdout))
    }

    /// Case `name` (its databases named after `key`): planned, applied, compared, rolled back,
    /// `flags` given to each plan and diff (`--privileges`); what went wrong first, in full.
    pub fn plan_case(&self, key: &str, name: &str, base: &str, changed: &str, flags: &[&str]) -> Result<Held, String> {
        let work = super::open_tempdir();
        let migrations = work.path().join("db/migrations");
        super::write_migrations(&migrations, &[("20240101000000_base.sql", &format!("-- migrate:up\n{base}\n-- migrate:down\n"))]);
        std::fs::write(work.path().join("base.sql"), base).unwrap();
        std::fs::write(work.path().join("target.sql"), changed).unwrap();
        let squashmate =
            |args: &[&str]| super::outcome(super::squashmate().current_dir(work.path()).args(args).args(flags).args(self.on_this_server()));
        let (code, stdout, stderr) = squashmate(&["plan", "--to", "target.sql", "--write", "x", "--allow-destructive"]);
        if code != Some(1) {
            return Err(format!("{name}: plan exited {code:?}\n{stdout}{stderr}"));
        }
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&migrations).unwrap().flatten().map(|e| e.path()).collect();
        files.sort();
        let written: String = files[1..]
            .iter()
            .map(|p| {
                let file = p.file_name().unwrap().to_string_lossy();
                let unversioned = file.split_once('_').map_or(file.as_ref(), |(_, rest)| rest);
                format!("==> {unversioned}\n{}", std::fs::read_to_string(p).unwrap())
            })
            .collect();
        let db = format!("planned_{key}");
        let url = self.server.url(&db);
        let dbmate =
            |args: &[&str]| super::dbmate().current_dir(work.path()).args(["--no-dump-schema", "-u", &url]).args(args).output().unwrap();
        let up = dbmate(&["up"]);
        if !up.status.success() {
            return Err(format!("{name}: dbmate up failed: {}\n{written}", super::all_output(&up)));
        }
        let (code, _, _) = squashmate(&["diff", &url, "target.sql"]);
        let dump_compared = code == Some(0);
        if dump_compared {
            let direct = self.runtime.block_on(self.server.create_database(None)).unwrap();
            // The roles it makes are the server's, made already by the plan's own loads.
            let changed = squashmate::setup::roles_once(changed);
            let loaded = self.runtime.block_on(async { self.server.connect(&direct).await.unwrap().batch_execute(&changed).await });
            if let Err(e) = loaded {
                return Err(format!("{name}: the changed schema does not load: {e}"));
            }
            let (planned, direct) = (self.schema_text(&db), self.schema_text(&direct));
            // The same lines in another order (grants listed in the order they were made) agree,
            // as for the outside suites' judge.
            let sorted = |text: &str| {
                let mut lines: Vec<&str> = text.lines().collect();
                lines.sort_unstable();
                lines.join("\n")
            };
            if sorted(&planned) != sorted(&direct) {
                return Err(format!("{name}: pg_dump differs after dbmate up:\n--- planned\n{planned}\n--- direct\n{direct}"));
            }
        } else {
            // Only what no migration can change may differ: where a column stands (ALTER TABLE
            // adds at the end). A cosmetic difference a plan could close (a name) fails the case.
            let (_, stdout, _) = squashmate(&["diff", "--format", "json", &url, "target.sql"]);
            let report: serde_json::Value =
                serde_json::from_str(&stdout).map_err(|e| format!("{name}: diff --format json: {e}\n{stdout}"))?;
            let left: Vec<&serde_json::Value> =
                report["differences"].as_array().into_iter().flatten().filter(|d| d["change"]["property"] != "position").collect();
            if !left.is_empty() {
                let shown = serde_json::to_string_pretty(&left).unwrap_or_default();
                return Err(format!("{name}: after dbmate up, not the changed schema:\n{shown}\n{written}"));
            }
        }
        // A plan without an inverse writes a down that refuses, saying why: rolling back fails
        // loudly and changes nothing (the files after it roll back first, as they may).
        let irreversible = written.contains("cannot be undone automatically");
        for _ in 1..files.len() {
            // (only a plan without an inverse may refuse: only its state is kept to compare)
            let before = irreversible.then(|| self.schema_text(&db));
            let down = dbmate(&["rollback"]);
            if down.status.success() {
                continue;
            }
            if !(irreversible && super::all_output(&down).contains("cannot be undone automatically")) {
                return Err(format!("{name}: dbmate rollback (irreversible: {irreversible}): {}\n{written}", super::all_output(&down)));
            }
            let (before, after) = (before.unwrap_or_default(), self.schema_text(&db));
            if after != before {
                return Err(format!("{name}: a rollback that refused changed the schema:\n--- before\n{before}\n--- after\n{after}"));
            }
            return Ok(Held { written, dump_compared });
        }
        let (code, stdout, _) = squashmate(&["diff", "--ignore", "cosmetic", &url, "base.sql"]);
        if code != Some(0) {
            return Err(format!("{name}: after dbmate rollback, not base.sql:\n{stdout}\n{written}"));
        }
        Ok(Held { written, dump_compared })
    }
}

/// `run` on every item, on two threads (the machine's cores), results in the items' order.
pub fn on_two_threads<T: Sync, R: Send>(items: &[T], run: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|k| {
                let run = &run;
                scope.spawn(move || {
                    items.iter().enumerate().filter(|(i, _)| i % 2 == k).map(|(i, item)| (i, run(i, item))).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
