//! The `--pg…` options every command that starts a throwaway server takes, turned into the
//! library's [`ServerOptions`].

use std::path::{Path, PathBuf};

use super::value;
use crate::server::{Provider, ServerOptions};
use crate::setup::Setup;

/// The plan whose `setup`, `extensions` and `roles` every command that replays honours.
const PROJECT_PLAN: &str = "db/squash.toml";

/// How to obtain a throwaway server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// Where replays run: local binaries, a Docker container, or an existing server.
    #[arg(long = "pg", value_parser = value::provider(), default_value = "auto", global = true)]
    pub provider: Provider,
    /// Directory with initdb/postgres/pg_dump (local provider).
    #[arg(long, global = true, env = "SQUASHMATE_PG_BIN")]
    pub pg_bin: Option<PathBuf>,
    /// PostgreSQL major version to use (local: which installation, downloaded when missing;
    /// docker: image tag).
    #[arg(long, global = true, env = "SQUASHMATE_PG_VERSION")]
    pub pg_version: Option<u32>,
    /// Unprivileged user to run the local server as when running as root.
    #[arg(long, global = true)]
    pub pg_user: Option<String>,
    /// Docker image (default `postgres:<major>`, major from --pg-version, else the
    /// production's when known, else the newest supported).
    #[arg(long, global = true, env = "SQUASHMATE_PG_IMAGE")]
    pub pg_image: Option<String>,
    /// Docker network for the container; `host` shares the host's network (the server listens
    /// on a free loopback port; for CI runners and engines without a bridge network).
    #[arg(long, global = true, env = "SQUASHMATE_PG_DOCKER_NETWORK")]
    pub pg_docker_network: Option<String>,
    /// Existing server for `--pg url` (scratch databases are created and dropped on it).
    #[arg(long, global = true, env = "SQUASHMATE_PG_URL")]
    pub pg_url: Option<String>,
    /// Never download PostgreSQL: use local installations and the download cache only.
    #[arg(long, global = true, env = "SQUASHMATE_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,
    /// Do not use (or fill) the cache of pristine clusters.
    #[arg(long, global = true)]
    pub no_cluster_cache: bool,
    /// SQL run in every throwaway database before the chain (platform schemas and roles,
    /// operator-installed extensions); never part of a baseline. Repeatable; after the
    /// `setup` files of db/squash.toml.
    #[arg(long = "setup", global = true, value_name = "FILE")]
    pub setup: Vec<PathBuf>,
}

impl ServerArgs {
    /// The library's options for these arguments, with the project's setup: db/squash.toml's
    /// `roles`, `extensions` and `setup` (when the file exists), then the `--setup` files.
    pub fn options(&self) -> anyhow::Result<ServerOptions> {
        let plan = Path::new(PROJECT_PLAN);
        let project = if plan.is_file() { crate::squash::Plan::load(plan)?.setup()? } else { Setup::default() };
        let mut options = self.options_with_own_setup()?;
        options.setup = project.and(options.setup);
        Ok(options)
    }

    /// The library's options with only the `--setup` files (squash reads its own plan's).
    pub fn options_with_own_setup(&self) -> anyhow::Result<ServerOptions> {
        Ok(ServerOptions {
            provider: self.provider,
            pg_bin: self.pg_bin.clone(),
            pg_version: self.pg_version,
            pg_user: self.pg_user.clone(),
            pg_image: self.pg_image.clone(),
            pg_docker_network: self.pg_docker_network.clone(),
            pg_url: self.pg_url.clone(),
            offline: self.offline,
            no_cluster_cache: self.no_cluster_cache,
            setup: Setup { files: Setup::read_files(&self.setup)?, ..Setup::default() },
        })
    }
}
