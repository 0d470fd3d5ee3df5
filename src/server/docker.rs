//! A throwaway server in a Docker container (testcontainers), for images with extensions the
//! local installation lacks. Needs a Docker engine that answers.

use std::time::Duration;

use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::cleanup::{CleanupGuard, on_interrupt};
use super::{ConnectInfo, ServerError};

/// A running container.
pub struct DockerServer {
    container: ContainerAsync<GenericImage>,
    info: ConnectInfo,
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

impl DockerServer {
    /// Starts `image` (`name:tag`).
    pub async fn start(image: &str) -> Result<Self, ServerError> {
        let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
        let container = GenericImage::new(name, tag)
            .with_exposed_port(5432.tcp())
            .with_wait_for(WaitFor::message_on_stderr("database system is ready to accept connections"))
            .with_env_var("POSTGRES_HOST_AUTH_METHOD", "trust")
            .with_cmd(["postgres", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"])
            .start()
            .await
            .map_err(|e| ServerError::Docker(e.to_string()))?;
        let id = container.id().to_string();
        let interrupt = on_interrupt(move || {
            let _ = std::process::Command::new("docker").args(["rm", "-f", "-v", &id]).output();
        });
        let port = container.get_host_port_ipv4(5432).await.map_err(|e| ServerError::Docker(e.to_string()))?;
        let host = container.get_host().await.map_err(|e| ServerError::Docker(e.to_string()))?.to_string();
        Ok(DockerServer { container, info: ConnectInfo { host, port, user: "postgres".into(), password: None }, _interrupt: interrupt })
    }

    /// How to reach it.
    pub fn connect_info(&self) -> ConnectInfo {
        self.info.clone()
    }

    /// The container's id, for `docker exec`.
    pub fn container_id(&self) -> &str {
        self.container.id()
    }
}
