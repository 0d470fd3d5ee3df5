//! A throwaway server in a Docker container (testcontainers), for machines without PostgreSQL
//! binaries and images with extensions the local installation lacks. Needs a Docker engine
//! that answers. Ready means a real connection succeeds: an image's first start runs a
//! temporary server (on its unix socket) before the real one, and logs "ready" twice.

use std::time::{Duration, Instant};

use testcontainers::core::IntoContainerPort;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::cleanup::{CleanupGuard, on_interrupt};
use super::{ConnectInfo, ServerError};

/// How long a container may take to accept connections.
const READY_DEADLINE: Duration = Duration::from_secs(90);

/// A running container.
pub struct DockerServer {
    container: ContainerAsync<GenericImage>,
    info: ConnectInfo,
    inner_port: u16,
    _interrupt: CleanupGuard,
}

/// Whether a Docker engine answers (the `docker` client alone is not enough).
pub async fn engine_answers() -> bool {
    let probe = tokio::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    matches!(tokio::time::timeout(Duration::from_secs(10), probe).await, Ok(Ok(status)) if status.success())
}

/// Output of a `docker` command, or why it could not run.
async fn docker(args: &[&str]) -> Result<std::process::Output, ServerError> {
    tokio::process::Command::new("docker")
        .args(args)
        .output()
        .await
        .map_err(|e| ServerError::Docker(format!("cannot run the docker client: {e}")))
}

/// Refuses early, with the ways out, when `image` is neither here nor pullable.
async fn ensure_image(image: &str) -> Result<(), ServerError> {
    if docker(&["image", "inspect", image]).await?.status.success() {
        return Ok(());
    }
    eprintln!("Pulling {image}…");
    let pull = docker(&["pull", image]).await?;
    if pull.status.success() {
        return Ok(());
    }
    Err(ServerError::Docker(format!(
        "image {image} is not on this machine and could not be pulled ({}); `docker pull {image}` where a registry is reachable, `docker load -i FILE` from a saved image, or --pg-image NAME of an image you have (`docker images`)",
        String::from_utf8_lossy(&pull.stderr).trim()
    )))
}

/// A free TCP port on loopback (for a server sharing the host's network).
fn free_loopback_port() -> Result<u16, ServerError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| ServerError::Docker(format!("no free loopback port: {e}")))?;
    Ok(listener.local_addr().map_err(|e| ServerError::Docker(e.to_string()))?.port())
}

impl DockerServer {
    /// Starts `image` (`name:tag`); `network` `host` shares the host's network (the server then
    /// listens on a free loopback port), otherwise port 5432 is published.
    pub async fn start(image: &str, network: Option<&str>) -> Result<Self, ServerError> {
        if !engine_answers().await {
            return Err(ServerError::Docker(
                "no Docker engine answers (`docker info` says why); start one (e.g. `dockerd`, Docker Desktop), or use --pg local or --pg url".into(),
            ));
        }
        ensure_image(image).await?;
        let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
        let host_network = network == Some("host");
        let port = if host_network { free_loopback_port()? } else { 5432 };
        let mut cmd: Vec<String> = ["postgres", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]
            .into_iter()
            .map(String::from)
            .collect();
        if host_network {
            cmd.extend(["-c".into(), format!("port={port}"), "-c".into(), "listen_addresses=127.0.0.1".into()]);
        }
        let mut definition = GenericImage::new(name, tag);
        if !host_network {
            definition = definition.with_exposed_port(5432.tcp());
        }
        let request = definition.with_env_var("POSTGRES_HOST_AUTH_METHOD", "trust").with_cmd(cmd);
        let request = match network {
            Some(network) => request.with_network(network),
            None => request,
        };
        let container = request.start().await.map_err(|e| ServerError::Docker(format!("starting a container of {image}: {e}")))?;
        let id = container.id().to_string();
        let interrupt = on_interrupt(move || {
            let _ = std::process::Command::new("docker").args(["rm", "-f", "-v", &id]).output();
        });
        let info = if host_network {
            ConnectInfo { host: "127.0.0.1".into(), port, user: "postgres".into(), password: None }
        } else {
            let mapped = container.get_host_port_ipv4(5432).await.map_err(|e| ServerError::Docker(e.to_string()))?;
            let host = container.get_host().await.map_err(|e| ServerError::Docker(e.to_string()))?.to_string();
            ConnectInfo { host, port: mapped, user: "postgres".into(), password: None }
        };
        let server = DockerServer { container, info, inner_port: port, _interrupt: interrupt };
        server.wait_until_ready(image).await?;
        Ok(server)
    }

    /// Polls a real connection until it succeeds; fails early when the container stops, and
    /// after [`READY_DEADLINE`], with the container's last log lines.
    async fn wait_until_ready(&self, image: &str) -> Result<(), ServerError> {
        let started = Instant::now();
        loop {
            let attempt = self.info.config("postgres").connect_timeout(Duration::from_secs(2)).connect(tokio_postgres::NoTls).await;
            if let Ok((client, connection)) = attempt {
                tokio::spawn(connection);
                if client.simple_query("SELECT 1").await.is_ok() {
                    return Ok(());
                }
            }
            let running = docker(&["inspect", "-f", "{{.State.Running}}", self.container_id()]).await?;
            let stopped = String::from_utf8_lossy(&running.stdout).trim() != "true";
            if stopped || started.elapsed() > READY_DEADLINE {
                let logs = docker(&["logs", "--tail", "15", self.container_id()]).await?;
                let why = if stopped {
                    "stopped before accepting connections".to_string()
                } else {
                    format!("did not accept connections within {READY_DEADLINE:?}")
                };
                return Err(ServerError::Docker(format!(
                    "the PostgreSQL server in {image} {why}; its last log lines:\n{}{}",
                    String::from_utf8_lossy(&logs.stdout),
                    String::from_utf8_lossy(&logs.stderr)
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// How to reach it.
    pub fn connect_info(&self) -> ConnectInfo {
        self.info.clone()
    }

    /// The container's id, for `docker exec`.
    pub fn container_id(&self) -> &str {
        self.container.id()
    }

    /// The port the server listens on inside the container (its `pg_dump` needs it).
    pub fn inner_port(&self) -> u16 {
        self.inner_port
    }
}
