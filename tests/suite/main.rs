//! squashmate's integration tests, one binary (each module links the whole crate once, not
//! once per file): real PostgreSQL servers the tests start themselves, the real `dbmate`, real
//! git repositories, a real Docker engine where one answers. Shared fixtures are in `common`.

mod common;

mod atomic_writes;
mod backups;
mod catalog_drift;
mod checks;
mod commands;
mod dbmate_compat;
mod dbmate_lock;
mod embedded;
mod gate;
mod lint_corpus;
mod markdown;
mod packaging;
mod plan_corpus;
mod platform_chains;
mod proof_fidelity;
mod replay_cli;
mod retirement;
mod server;
mod setup_scripts;
mod squash;
mod tls;
mod up_safety;
