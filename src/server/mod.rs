//! Throwaway PostgreSQL servers for replaying migrations: local binaries, a Docker container,
//! or scratch databases on an existing server (`--pg auto|local|docker|url`). Whatever is
//! started is stopped and removed again, on success, error, panic and Ctrl-C.

mod binaries;
mod cleanup;
mod cluster_cache;
mod connect_info;
#[cfg(feature = "docker")]
mod docker;
#[cfg(not(feature = "docker"))]
#[path = "docker_disabled.rs"]
mod docker;
mod existing;
mod local;
mod obtain;
mod owner;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use thiserror::Error;

pub use binaries::{PgBinaries, cached_binaries, find_binaries, installation_in, local_installations, pg_dump_for};
pub use cleanup::{run_all as run_interrupt_cleanup, wait_for_interrupt_cleanup};
pub use cluster_cache::cache_root;
pub use connect_info::ConnectInfo;
pub use docker::engine_answers as docker_engine_answers;
pub use local::TEMP_PREFIX;
pub use obtain::install_with_pg_dump;

use crate::dump::{PgDumpVersion, pg_dump_version};
use crate::sql::quote_ident;
use docker::DockerServer;
use existing::ExistingServer;
use local::LocalServer;
use owner::ServerOwner;

/// Why a server could not be provided or used.
#[derive(Debug, Error)]
pub enum ServerError {
    /// No usable PostgreSQL installation.
    #[error(
        "{searched}; install the PostgreSQL server (Debian: `apt-get install postgresql`), pass --pg-bin DIR, or use --pg docker / --pg url"
    )]
    NoBinaries {
        /// Where we looked.
        searched: String,
    },
    /// Running as root without an unprivileged user for the server.
    #[error(
        "running as root, and initdb refuses root: no user `{0}` to run the server as; create it (`useradd {0}`) or pass --pg-user NAME"
    )]
    NoServerUser(String),
    /// `initdb` failed.
    #[error("initdb failed: {0}")]
    Initdb(String),
    /// The server did not start.
    #[error("the ephemeral server did not start: {0}")]
    Start(String),
    /// Docker was asked for but failed.
    #[error("docker: {0}")]
    Docker(String),
    /// No installation here, none could be downloaded, and (for `--pg auto`) no Docker engine.
    #[error("{local}; {download}{docker}")]
    NothingAvailable {
        /// What was looked for locally.
        local: Box<ServerError>,
        /// Why the download cache did not help.
        download: crate::pgdist::PgDistError,
        /// Why Docker was not used (empty for `--pg local`).
        docker: String,
    },
    /// `--pg url` without a URL, or a bad one.
    #[error("bad --pg-url: {0}; give a postgres://user@host:port/db URL")]
    BadUrl(String),
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A statement on the server failed.
    #[error("on the ephemeral server: {0}")]
    Sql(#[from] tokio_postgres::Error),
}

impl ServerError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        ServerError::Io { path: path.to_path_buf(), source }
    }
}

/// Which kind of server to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Provider {
    /// Local binaries if found, else Docker if an engine answers.
    #[default]
    Auto,
    /// Local PostgreSQL binaries.
    Local,
    /// A container started with testcontainers.
    Docker,
    /// Scratch databases on an existing server (`--pg-url`).
    Url,
}

impl Provider {
    /// Every provider, in the order they are listed to people.
    pub const ALL: [Provider; 4] = [Provider::Auto, Provider::Local, Provider::Docker, Provider::Url];

    /// The name used on the command line (`--pg local`).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Auto => "auto",
            Provider::Local => "local",
            Provider::Docker => "docker",
            Provider::Url => "url",
        }
    }
}

/// How to obtain a server (on the command line: the `--pg…` options).
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Where replays run: local binaries, a Docker container, or an existing server.
    pub provider: Provider,
    /// Directory with initdb/postgres/pg_dump (local provider).
    pub pg_bin: Option<PathBuf>,
    /// PostgreSQL major version to use (local: which installation, downloaded when missing;
    /// docker: image tag).
    pub pg_version: Option<u32>,
    /// Unprivileged user to run the local server as when running as root.
    pub pg_user: Option<String>,
    /// Docker image (default `postgres:<major>`, major from --pg-version, else the
    /// production's when known, else the newest supported).
    pub pg_image: Option<String>,
    /// Docker network for the container; `host` shares the host's network (the server listens
    /// on a free loopback port; for CI runners and engines without a bridge network).
    pub pg_docker_network: Option<String>,
    /// Existing server for `--pg url` (scratch databases are created and dropped on it).
    pub pg_url: Option<String>,
    /// Never download PostgreSQL: use local installations and the download cache only.
    pub offline: bool,
    /// Do not use (or fill) the cache of pristine clusters.
    pub no_cluster_cache: bool,
    /// What every throwaway database gets before the chain (roles, extensions, setup SQL).
    pub setup: crate::setup::Setup,
}

enum Backend {
    Local(LocalServer),
    Docker(Box<DockerServer>),
    Existing(ExistingServer),
}

/// A server squashmate may create and drop databases on.
pub struct EphemeralServer {
    backend: Backend,
    info: ConnectInfo,
    version: String,
    binaries: Option<PgBinaries>,
    /// `--pg-bin`, where an existing server's `pg_dump` is looked for first.
    pg_bin: Option<PathBuf>,
    next_db: AtomicU32,
    /// Held while SQL that creates roles runs: roles are the server's, and two replays of a chain
    /// that checks for its role before creating it would race.
    role_changes: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for EphemeralServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EphemeralServer").field("info", &self.info).field("version", &self.version).finish()
    }
}

impl EphemeralServer {
    /// Starts (or attaches to) a server as `options` say.
    pub async fn start(options: &ServerOptions) -> Result<Self, ServerError> {
        let local_binaries = match options.provider {
            Provider::Auto | Provider::Local => match obtain::obtain_binaries(options).await {
                Ok(found) => Some(found),
                Err(not) => {
                    let docker_tried = options.provider == Provider::Auto && not.download_impossible();
                    if docker_tried && docker::engine_answers().await {
                        None
                    } else {
                        let Some(download) = not.download else { return Err(not.local) };
                        let docker =
                            if docker_tried { "; and no Docker engine answers for --pg docker (start one, e.g. `dockerd`)" } else { "" };
                        return Err(ServerError::NothingAvailable { local: Box::new(not.local), download, docker: docker.into() });
                    }
                }
            },
            _ => None,
        };
        let provider = match (options.provider, &local_binaries) {
            (Provider::Auto, Some(_)) => Provider::Local,
            (Provider::Auto, None) => Provider::Docker,
            (other, _) => other,
        };
        let (backend, binaries) = match provider {
            Provider::Local | Provider::Auto => {
                let bins = local_binaries.expect("the local provider has binaries");
                let owner = ServerOwner::resolve(options.pg_user.as_deref())?;
                // Started on this thread, not a blocking-pool one: the server is told to quit
                // when the thread that started it ends (so a killed squashmate leaves none).
                let server = LocalServer::start(&bins, &owner, !options.no_cluster_cache)?;
                (Backend::Local(server), Some(bins))
            }
            Provider::Docker => {
                let image = match &options.pg_image {
                    Some(image) => image.clone(),
                    None => {
                        let major = options.pg_version.unwrap_or(*crate::pgdist::SUPPORTED_MAJORS.end());
                        let why = if options.pg_version.is_some() { "--pg-version" } else { "the newest supported major" };
                        eprintln!("Docker image postgres:{major} ({why}; --pg-version N or --pg-image NAME to choose)");
                        format!("postgres:{major}")
                    }
                };
                (Backend::Docker(Box::new(DockerServer::start(&image, options.pg_docker_network.as_deref()).await?)), None)
            }
            Provider::Url => {
                let url = options.pg_url.as_deref().ok_or_else(|| ServerError::BadUrl("--pg url needs --pg-url".into()))?;
                (Backend::Existing(ExistingServer::from_url(url)?), None)
            }
        };
        let info = match &backend {
            Backend::Local(s) => s.connect_info(),
            Backend::Docker(s) => s.connect_info(),
            Backend::Existing(s) => s.connect_info(),
        };
        let mut server = EphemeralServer {
            backend,
            info,
            version: String::new(),
            binaries,
            pg_bin: options.pg_bin.clone(),
            next_db: AtomicU32::new(0),
            role_changes: tokio::sync::Mutex::new(()),
        };
        let client = server.connect(server.maintenance_db()).await?;
        server.version = client.query_one("SHOW server_version", &[]).await?.get::<_, String>(0);
        if let Backend::Existing(existing) = &server.backend {
            existing.set_roles_before(server.role_names().await?);
        }
        Ok(server)
    }

    /// The server's clock (`now()` as text), to tell later which values were written after it.
    pub async fn clock(&self) -> Result<String, ServerError> {
        Ok(self.connect(self.maintenance_db()).await?.query_one("SELECT now()::text", &[]).await?.get(0))
    }

    /// Every role on the server, by name.
    pub async fn role_names(&self) -> Result<std::collections::BTreeSet<String>, ServerError> {
        let client = self.connect(self.maintenance_db()).await?;
        Ok(client.query("SELECT rolname::text FROM pg_catalog.pg_roles", &[]).await?.iter().map(|r| r.get(0)).collect())
    }

    /// The server's version, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The server's major version (0 when unknown).
    pub fn major(&self) -> u32 {
        self.version.split(|c: char| !c.is_ascii_digit()).next().and_then(|m| m.parse().ok()).unwrap_or(0)
    }

    /// How to reach the server.
    pub fn connect_info(&self) -> &ConnectInfo {
        &self.info
    }

    /// The local installation's binaries, when local.
    pub fn binaries(&self) -> Option<&PgBinaries> {
        self.binaries.as_ref()
    }

    /// `pg_dump` of the server's own major version, set to dump database `db`; the caller adds
    /// its options. Local: the installation's; Docker: the one inside the container; an
    /// existing server: one of the same major in `--pg-bin`, PATH or `/usr/lib/postgresql`.
    pub fn pg_dump(&self, db: &str) -> Result<(tokio::process::Command, PgDumpVersion), ServerError> {
        let server_version = || {
            let mut parts = self.version.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse().unwrap_or(0));
            PgDumpVersion { major: parts.next().unwrap_or(0), minor: parts.next().unwrap_or(0) }
        };
        let local = |program: PathBuf| {
            let version = pg_dump_version(&program).map_err(|e| ServerError::Start(e.to_string()))?;
            let mut command = tokio::process::Command::new(program);
            command.arg(format!("--dbname={}", self.url(db)));
            Ok((command, version))
        };
        let paired = || {
            pg_dump_for(self.pg_bin.as_deref(), self.major()).map(|(program, _)| program).ok_or_else(|| ServerError::NoBinaries {
                searched: format!(
                    "no pg_dump of PostgreSQL {} or newer (the server's major) in --pg-bin, PATH, pg_config --bindir, /usr/lib/postgresql/*/bin or the download cache; install that version's client (e.g. postgresql-client-{}), run `squashmate pg install {}` (its pg_dump dumps every older major), or pass --pg-bin",
                    self.major(),
                    self.major(),
                    crate::pgdist::SUPPORTED_MAJORS.end()
                ),
            })
        };
        match &self.backend {
            Backend::Local(_) => {
                let own = self.binaries.as_ref().expect("a local server has binaries").program("pg_dump");
                local(if own.is_file() { own } else { paired()? })
            }
            Backend::Docker(container) => {
                let mut command = tokio::process::Command::new("docker");
                command
                    .args(["exec", container.container_id(), "pg_dump", "--username=postgres"])
                    .arg(format!("--port={}", container.inner_port()))
                    .arg(format!("--dbname={db}"));
                Ok((command, server_version()))
            }
            Backend::Existing(_) => local(paired()?),
        }
    }

    /// Whether a local server's pristine cluster came from the cache.
    pub fn warm_start(&self) -> Option<bool> {
        match &self.backend {
            Backend::Local(s) => Some(s.warm_start),
            _ => None,
        }
    }

    fn maintenance_db(&self) -> &str {
        match &self.backend {
            Backend::Existing(s) => s.maintenance_db(),
            _ => "postgres",
        }
    }

    /// Creates a new, uniquely named database, optionally as a copy of `template`. Returns its
    /// name. Connections to the template must be closed: ones still ending are waited for.
    pub async fn create_database(&self, template: Option<&str>) -> Result<String, ServerError> {
        let name = format!("squashmate_{}_{}", std::process::id(), self.next_db.fetch_add(1, Ordering::Relaxed));
        if let Backend::Existing(s) = &self.backend {
            s.track(&name);
        }
        let client = self.connect(self.maintenance_db()).await?;
        if let Some(template) = template {
            wait_until_unused(&client, template).await?;
        }
        // A plain file copy is much cheaper than PostgreSQL 15's default WAL-logged copy, and the
        // data here is throwaway.
        let strategy = if self.major() >= 15 { " STRATEGY = FILE_COPY" } else { "" };
        let template = template.map(|t| format!(" TEMPLATE {}{strategy}", quote_ident(t))).unwrap_or_default();
        client.batch_execute(&format!("CREATE DATABASE {}{template}", quote_ident(&name))).await?;
        Ok(name)
    }

    /// Remembers roles that SQL run in its databases may create (made for a chain, or by it):
    /// on an existing server (`--pg url`), those it did not have before are dropped at the end.
    /// A server squashmate started goes away with its roles.
    pub fn note_roles(&self, roles: impl IntoIterator<Item = String>) {
        if let Backend::Existing(existing) = &self.backend {
            existing.note_roles(roles);
        }
    }

    /// Waits until no other SQL that creates roles runs on this server, and holds that until the
    /// guard is dropped.
    pub async fn exclusive_role_changes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.role_changes.lock().await
    }

    /// A client connected to database `dbname`.
    pub async fn connect(&self, dbname: &str) -> Result<tokio_postgres::Client, ServerError> {
        let (client, connection) = self.info.config(dbname).connect(tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// A URL for database `dbname`, for external programs.
    pub fn url(&self, dbname: &str) -> String {
        self.info.url(dbname)
    }
}

/// Waits (up to 5 s) until no session is connected to `database`. A client we dropped leaves
/// its backend exiting for a moment, and `CREATE DATABASE … TEMPLATE` would otherwise sleep in
/// steps of 100 ms before copying.
async fn wait_until_unused(client: &tokio_postgres::Client, database: &str) -> Result<(), ServerError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let sessions: i64 = client.query_one("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", &[&database]).await?.get(0);
        if sessions == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}
