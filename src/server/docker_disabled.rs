//! The Docker provider in a build without the `docker` feature (a service embedding the
//! library): `--pg auto` never picks it, and asking for it says how to get it.

use super::ConnectInfo;
use super::ServerError;

/// No container can exist in this build.
pub struct DockerServer {
    never: std::convert::Infallible,
}

/// No engine is asked in this build.
pub async fn engine_answers() -> bool {
    false
}

impl DockerServer {
    /// Refuses: this build has no Docker support.
    pub async fn start(_image: &str, _network: Option<&str>) -> Result<Self, ServerError> {
        Err(ServerError::Docker(
            "this squashmate was built without its `docker` feature; build it with the feature, or use --pg local or --pg url".into(),
        ))
    }

    /// Unreachable: no value of this type exists.
    pub fn connect_info(&self) -> ConnectInfo {
        match self.never {}
    }

    /// Unreachable: no value of this type exists.
    pub fn container_id(&self) -> &str {
        match self.never {}
    }

    /// Unreachable: no value of this type exists.
    pub fn inner_port(&self) -> u16 {
        match self.never {}
    }
}
