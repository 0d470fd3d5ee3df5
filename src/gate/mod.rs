//! `gate` and `hash`: migration immutability in CI. An applied migration never changes; the
//! one exception is an honest squash. `migrations.sum` lets a shallow clone check too.

mod git;
mod rules;
mod sum;

pub use git::{Commit, GitError, Repo, TreeEntry};
pub use rules::{GateInput, SENTINEL, check};
pub use sum::{SumLine, SumMismatch, chain, chain_hash, check as check_sum, render as render_sum};
