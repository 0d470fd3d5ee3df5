//! A throwaway PostgreSQL server from the local binaries: a copied pristine cluster in a temp
//! directory, a unix socket and a free TCP port on loopback, durability off. It is stopped and
//! its files removed when dropped, and on Ctrl-C.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::binaries::PgBinaries;
use super::cleanup::{CleanupGuard, on_interrupt};
use super::cluster_cache::provide_cluster;
use super::owner::ServerOwner;
use super::{ConnectInfo, ServerError};

/// Prefix of our temp directories, so tests (and people) can tell they were removed.
pub const TEMP_PREFIX: &str = "squashmate-pg-";

/// A running local server.
#[derive(Debug)]
pub struct LocalServer {
    child: Option<Child>,
    root: Option<tempfile::TempDir>,
    port: u16,
    /// Whether the pristine cluster came from the cache.
    pub warm_start: bool,
    _interrupt: CleanupGuard,
}

impl LocalServer {
    /// Starts a server from `bins` owned by `owner`.
    pub fn start(bins: &PgBinaries, owner: &ServerOwner, use_cache: bool) -> Result<Self, ServerError> {
        let parent = scratch_parent();
        let mut root = tempfile::Builder::new().prefix(TEMP_PREFIX).tempdir_in(&parent).map_err(|e| ServerError::io(&parent, e))?;
        let data = root.path().join("data");
        let socket = root.path().join("sock");
        for dir in [&data, &socket] {
            std::fs::create_dir(dir).map_err(|e| ServerError::io(dir, e))?;
        }
        owner.give(root.path())?;
        let warm_start = provide_cluster(bins, owner, &data, root.path(), use_cache)?;
        set_mode(&data, 0o700)?;

        let log_path = root.path().join("server.log");
        let mut last_error = None;
        for _attempt in 0..3 {
            let port = free_port()?;
            let child = spawn(bins, owner, &data, &socket, port, &log_path)?;
            let pid = child.id();
            let dir = root.path().to_path_buf();
            let guard = on_interrupt(move || stop_pid(pid, &dir));
            let mut server = LocalServer { child: Some(child), root: Some(root), port, warm_start, _interrupt: guard };
            match server.wait_ready(&log_path) {
                Ok(()) => return Ok(server),
                Err(e) => {
                    last_error = Some(e);
                    server.halt();
                    root = server.root.take().expect("root is kept until drop");
                }
            }
        }
        Err(last_error.expect("at least one attempt was made"))
    }

    /// How to reach the server.
    pub fn connect_info(&self) -> ConnectInfo {
        ConnectInfo { host: "127.0.0.1".into(), port: self.port, user: "postgres".into(), password: None }
    }

    fn wait_ready(&mut self, log: &Path) -> Result<(), ServerError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let child = self.child.as_mut().expect("child is running");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(ServerError::Start(format!("postgres exited with {status}: {}", read_log(log))));
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() && read_log(log).contains("ready to accept connections") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(ServerError::Start(format!("postgres did not become ready within 60 s: {}", read_log(log))))
    }

    /// Stops the server (immediate shutdown) and waits for it.
    fn halt(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.halt();
        if let Some(root) = self.root.take() {
            let _ = root.close();
        }
    }
}

fn spawn(bins: &PgBinaries, owner: &ServerOwner, data: &Path, socket: &Path, port: u16, log: &Path) -> Result<Child, ServerError> {
    let log_file = File::create(log).map_err(|e| ServerError::io(log, e))?;
    owner.give(log)?;
    let mut cmd = Command::new(bins.program("postgres"));
    cmd.arg("-D").arg(data).arg("-k").arg(socket).arg("-p").arg(port.to_string());
    for setting in [
        "listen_addresses=127.0.0.1",
        "fsync=off",
        "full_page_writes=off",
        "synchronous_commit=off",
        // Throwaway data: no vacuum runs mid-replay (rows keep the order they were written in).
        "autovacuum=off",
        "max_connections=200",
        "shared_buffers=128MB",
        "wal_level=minimal",
        "max_wal_senders=0",
        "max_locks_per_transaction=256",
        "log_min_error_statement=panic",
    ] {
        cmd.arg("-c").arg(setting);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file.try_clone().map_err(|e| ServerError::io(log, e))?)
        // Its own process group: a terminal's Ctrl-C reaches only us, and we stop it in order.
        .process_group(0);
    owner.apply(&mut cmd);
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal the child if we die.
    unsafe {
        cmd.pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGQUIT).map_err(std::io::Error::from));
    }
    cmd.spawn().map_err(|e| ServerError::io(&bins.program("postgres"), e))
}

/// Where the throwaway cluster lives: `$TMPDIR` when set, else `/dev/shm` when it is a memory
/// file system with 1 GiB free (the data is thrown away, and a disk-backed directory makes a
/// squash about twice as slow through write-back), else the system's temp directory.
fn scratch_parent() -> PathBuf {
    if std::env::var_os("TMPDIR").is_some() {
        return std::env::temp_dir();
    }
    let shm = Path::new("/dev/shm");
    let roomy = nix::sys::statvfs::statvfs(shm).is_ok_and(|s| s.blocks_available().saturating_mul(s.fragment_size()) >= 1 << 30);
    if roomy && nix::unistd::access(shm, nix::unistd::AccessFlags::W_OK).is_ok() { shm.to_path_buf() } else { std::env::temp_dir() }
}

fn free_port() -> Result<u16, ServerError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| ServerError::io(Path::new("127.0.0.1:0"), e))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| ServerError::io(Path::new("127.0.0.1:0"), e))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), ServerError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| ServerError::io(path, e))
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Immediate shutdown (no checkpoint: the files are thrown away), then kill if it takes more
/// than 10 seconds.
fn stop_child(child: &mut Child) {
    let pid = Pid::from_raw(child.id() as i32);
    let _ = kill(pid, Signal::SIGQUIT);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The interrupt path: we only have the pid and the directory.
fn stop_pid(pid: u32, dir: &PathBuf) {
    let pid = Pid::from_raw(pid as i32);
    let _ = kill(pid, Signal::SIGQUIT);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            Ok(nix::sys::wait::WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(5)),
            _ => break,
        }
    }
    let _ = kill(pid, Signal::SIGKILL);
    let _ = std::fs::remove_dir_all(dir);
}
