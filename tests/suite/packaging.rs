//! The release artefacts as users install them: `scripts/package` (from the binary under test,
//! so no second compile) makes a wheel that pip installs into a fresh virtualenv with
//! `squashmate` on PATH, npm packages that `npm install` and `npx squashmate` run, and an image
//! that replays a mounted chain with its own PostgreSQL; the GitHub Action's installer picks the
//! asset for the platform, refuses a checksum mismatch and caches, and its runner writes the job
//! summary and keeps one pull request comment (against a local stand-in for GitHub's API).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn host_triple() -> String {
    let out = Command::new("rustc").arg("-vV").output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.strip_prefix("host: ")).unwrap().to_string()
}

/// `scripts/package` of the binary under test into `out`.
fn package(out: &Path, image: bool) {
    let binary = format!("{}={}", host_triple(), env!("CARGO_BIN_EXE_squashmate"));
    let mut command = Command::new(root().join("scripts/package"));
    command.args(["--binary", &binary, "--out"]).arg(out);
    if !image {
        command.arg("--no-image");
    }
    let (code, stdout, stderr) = common::outcome(&mut command);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    files
}

fn ok(command: &mut Command) -> String {
    let (code, stdout, stderr) = common::outcome(command);
    assert_eq!(code, Some(0), "{command:?}: {stdout}{stderr}");
    stdout
}

#[test]
fn the_wheel_and_the_npm_packages_put_a_working_squashmate_on_path() {
    let work = common::open_tempdir();
    let dist = work.path().join("dist");
    package(&dist, false);
    let asset = format!("squashmate-{VERSION}-{}.tar.gz", host_triple());
    ok(Command::new("sha256sum").current_dir(&dist).args(["-c", &format!("{asset}.sha256")]));

    // pip, into a fresh virtualenv, no index: the wheel alone.
    let venv = work.path().join("venv");
    ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    let wheels = files_in(&dist.join("wheels"));
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    assert!(wheels[0].to_string_lossy().contains("-py3-none-manylinux_2_"), "{wheels:?}");
    ok(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "--no-index"]).arg(&wheels[0]));
    let path = format!("{}:/usr/bin:/bin", venv.join("bin").display());
    let version = ok(Command::new("squashmate").env("PATH", &path).arg("--version"));
    assert_eq!(version.trim(), format!("squashmate {VERSION}"));

    // npm, into an empty project: the main package and the platform one.
    let project = work.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("package.json"), "{\"name\": \"app\", \"version\": \"1.0.0\", \"private\": true}\n").unwrap();
    let tarballs = files_in(&dist.join("npm"));
    let names: Vec<String> = tarballs.iter().map(|t| t.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, [format!("squashmate-{VERSION}.tgz"), format!("squashmate-linux-x64-{VERSION}.tgz")]);
    ok(Command::new("npm").current_dir(&project).args(["install", "--no-audit", "--no-fund", "--offline"]).args(&tarballs));
    let manifest = std::fs::read_to_string(project.join("node_modules/@squashmate/linux-x64/package.json")).unwrap();
    assert!(manifest.contains("\"os\": [\"linux\"]") && manifest.contains("\"cpu\": [\"x64\"]"), "{manifest}");
    let version = ok(Command::new("npx").current_dir(&project).args(["--no-install", "squashmate", "--version"]));
    assert_eq!(version.trim(), format!("squashmate {VERSION}"));
}

/// `action/install.sh` with `env`, returning (exit code, stdout, stderr).
fn install(env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = Command::new(root().join("action/install.sh"));
    command.env_remove("GITHUB_PATH").envs(env.iter().copied());
    common::outcome(&mut command)
}

#[test]
fn the_action_installs_the_platform_s_asset_verified_and_cached_and_reports_in_the_summary() {
    let work = common::open_tempdir();
    let dist = work.path().join("dist");
    package(&dist, false);
    let (releases, cache) = (dist.to_str().unwrap().to_string(), work.path().join("tool-cache"));
    let github_path = work.path().join("github-path");
    let env = |extra: &[(&'static str, String)]| {
        let mut env: Vec<(&str, String)> = vec![
            ("SQUASHMATE_VERSION", format!("v{VERSION}")),
            ("SQUASHMATE_RELEASES", releases.clone()),
            ("RUNNER_TOOL_CACHE", cache.to_str().unwrap().into()),
        ];
        env.extend(extra.iter().cloned());
        env
    };
    let run = |env: Vec<(&str, String)>| install(&env.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());

    // Another platform's asset is chosen by name (and is not in this stand-in release).
    for (platform, triple) in
        [("Darwin arm64", "aarch64-apple-darwin"), ("Darwin x86_64", "x86_64-apple-darwin"), ("Linux aarch64", "aarch64-unknown-linux-gnu")]
    {
        let (code, _, stderr) = run(env(&[("SQUASHMATE_PLATFORM", platform.into())]));
        assert_eq!(code, Some(1));
        assert!(stderr.contains(&format!("could not download squashmate-{VERSION}-{triple}.tar.gz")), "{platform}: {stderr}");
    }
    let (code, _, stderr) = run(env(&[("SQUASHMATE_PLATFORM", "Windows_NT x86_64".into())]));
    assert_eq!((code, stderr.contains("no release binary for Windows_NT x86_64")), (Some(1), true), "{stderr}");

    // A tampered checksum is refused and nothing is installed.
    let sums = dist.join(format!("squashmate-{VERSION}-{}.tar.gz.sha256", host_triple()));
    let good = std::fs::read_to_string(&sums).unwrap();
    std::fs::write(&sums, format!("{}{}", "0".repeat(64), &good[64..])).unwrap();
    let (code, _, stderr) = run(env(&[]));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("does not match its checksum") && stderr.contains("refusing to install it"), "{stderr}");
    assert!(!cache.exists() || files_in(&cache).is_empty(), "nothing installed");
    std::fs::write(&sums, good).unwrap();

    // This machine's asset, from a file:// URL; then from the cache.
    let (code, stdout, stderr) =
        run(env(&[("SQUASHMATE_RELEASES", format!("file://{releases}")), ("GITHUB_PATH", github_path.to_str().unwrap().into())]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("checksum") && stderr.contains("verified"), "{stderr}");
    let installed = PathBuf::from(stdout.trim());
    assert_eq!(ok(Command::new(&installed).arg("--version")).trim(), format!("squashmate {VERSION}"));
    assert_eq!(std::fs::read_to_string(&github_path).unwrap().trim(), installed.parent().unwrap().to_str().unwrap());
    let (code, _, stderr) = run(env(&[("SQUASHMATE_RELEASES", "/nowhere".into())]));
    assert_eq!((code, stderr.contains("from the tool cache")), (Some(0), true), "{stderr}");

    // The runner: annotations in the log, every command in the job summary, exit 1 on findings.
    let repo = work.path().join("repo");
    common::copy_example(&repo);
    assert_eq!(common::run(&repo, &["hash"]).status.code(), Some(0));
    let summary = work.path().join("summary.md");
    let path = format!("{}:{}", installed.parent().unwrap().display(), std::env::var("PATH").unwrap());
    let runner = |commands: &str, extra: &[(&str, String)]| {
        let mut command = Command::new(root().join("action/run.sh"));
        command.current_dir(&repo).env("PATH", &path).env("GITHUB_STEP_SUMMARY", &summary).env("SQUASHMATE_COMMANDS", commands);
        command.envs(extra.iter().map(|(k, v)| (*k, v.as_str())));
        common::outcome(&mut command)
    };
    let (code, stdout, stderr) = runner("hash-check lint", &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.starts_with("## squashmate\n"), "{written}");
    assert!(written.contains("### squashmate hash --check: passed") && written.contains("### squashmate lint: passed"), "{written}");
    std::fs::write(repo.join("db/migrations/20990101000000_broken.sql"), "-- migrate:up\ncreate tabel x();\n-- migrate:down\n").unwrap();
    let (code, stdout, _) = runner("lint", &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("::error file=db/migrations/20990101000000_broken.sql,line=2"), "annotations: {stdout}");
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.contains("### squashmate lint: found something\n\n❌ **"), "{written}");
    assert!(written.contains("| error | `unparsable-sql`") && written.contains("`db/migrations/20990101000000_broken.sql:2:"), "{written}");

    // One pull request comment: created on the first run, updated on the next.
    let api = GithubStandIn::start(work.path());
    let event = work.path().join("event.json");
    std::fs::write(&event, "{\"pull_request\": {\"number\": 42}}").unwrap();
    let comment_env = vec![
        ("SQUASHMATE_COMMENT", "true".to_string()),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap().to_string()),
        ("GITHUB_REPOSITORY", "acme/app".to_string()),
        ("GITHUB_API_URL", api.url.clone()),
        ("GITHUB_TOKEN", "t0ken".to_string()),
    ];
    let (_, stdout, _) = runner("lint", &comment_env);
    assert!(stdout.contains("Commented on #42"), "{stdout}");
    let (_, stdout, _) = runner("lint", &comment_env);
    assert!(stdout.contains("Updated the squashmate comment on #42"), "{stdout}");
    let requests = api.requests();
    assert_eq!(
        requests.iter().map(|(method, path, _)| format!("{method} {path}")).collect::<Vec<_>>(),
        [
            "GET /repos/acme/app/issues/42/comments?per_page=100",
            "POST /repos/acme/app/issues/42/comments",
            "GET /repos/acme/app/issues/42/comments?per_page=100",
            "PATCH /repos/acme/app/issues/comments/1",
        ]
    );
    assert!(requests[1].2.contains("<!-- squashmate-action -->") && requests[1].2.contains("squashmate lint: found something"));
}

/// A local HTTP server answering the GitHub API calls the runner makes (comments of one pull
/// request kept in memory), recording every request.
struct GithubStandIn {
    url: String,
    log: PathBuf,
    child: std::process::Child,
}

impl GithubStandIn {
    fn start(dir: &Path) -> GithubStandIn {
        let log = dir.join("api-requests.jsonl");
        let port_file = dir.join("api-port");
        let server = r#"
import http.server, json, sys
log, port_file = sys.argv[1], sys.argv[2]
comments = []
class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def record(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        with open(log, "a") as f:
            f.write(json.dumps([self.command, self.path, body, self.headers.get("Authorization")]) + "\n")
        return json.loads(body) if body else None
    def do_GET(self):
        self.record(); self.answer(200, comments)
    def do_POST(self):
        body = self.record(); comments.append({"id": len(comments) + 1, "body": body["body"]}); self.answer(201, comments[-1])
    def do_PATCH(self):
        body = self.record(); comments[0]["body"] = body["body"]; self.answer(200, comments[0])
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
open(port_file, "w").write(str(server.server_port))
server.serve_forever()
"#;
        let child = Command::new("python3").args(["-c", server]).arg(&log).arg(&port_file).spawn().unwrap();
        // Killed by Drop whatever happens next.
        let mut stand_in = GithubStandIn { url: String::new(), log, child };
        for _ in 0..100 {
            if let Some(port) = std::fs::read_to_string(&port_file).ok().filter(|p| !p.is_empty()) {
                stand_in.url = format!("http://127.0.0.1:{port}");
                return stand_in;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the stand-in API did not start");
    }

    /// (method, path, body) of every request, each checked to carry the token.
    fn requests(&self) -> Vec<(String, String, String)> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_eq!(v[3], "Bearer t0ken", "{line}");
                (v[0].as_str().unwrap().to_string(), v[1].as_str().unwrap().to_string(), v[2].as_str().unwrap().to_string())
            })
            .collect()
    }
}

impl Drop for GithubStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs a Docker engine"]
fn the_image_replays_a_mounted_chain_with_its_own_postgresql() {
    let work = common::open_tempdir();
    package(&work.path().join("dist"), true);
    let migrations = root().join("db/migrations");
    let (code, stdout, stderr) = common::outcome(
        Command::new("docker")
            .args(["run", "--rm", "--network", "host", "-v"])
            .arg(format!("{}:/migrations:ro", migrations.display()))
            .args([&format!("squashmate:{VERSION}"), "replay", "-d", "/migrations"]),
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("Replayed 30 migration(s) from /migrations") && all.contains("on PostgreSQL 15."), "{all}");
}
