//! `gate` and `hash`: migration immutability in CI. An applied migration never changes; the
//! one exception is an honest squash. `migrations.sum` (see [`crate::migration::sum_path`]) lets
//! a shallow clone check too.

mod git;
mod rules;

pub use git::{Commit, GitError, Repo, TreeEntry};
pub use rules::{GateInput, SENTINEL, check};
