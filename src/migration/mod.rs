//! dbmate migration files read exactly as dbmate reads them, with every problem located.

mod allow;
mod checksum;
mod discover;
mod file;
mod journal;
mod parse_error;
mod roles;
mod sections;
mod source;
mod statements;
mod sum;
#[cfg(feature = "tools")]
mod swap;
mod tokens;

pub use crate::report::{LineCol, Part, Problem, Severity, Way};
pub use allow::allow_comments;
pub use checksum::{checksum, normalise};
pub use discover::{Depth, DiscoverError, Discovery, discover, discover_to, looks_like_migration};
pub use file::{MigrationFile, version_of};
pub use journal::{Holds, Interrupted, Journal, interrupted, staging_dir};
pub use roles::{RoleUse, created_roles, referenced_roles};
pub use sections::{Block, BlockOptions, Direction, Section, parse_sections};
pub use source::SourceText;
pub use statements::{ConcurrentIndex, Statement, split_statements, transaction_runs};
pub use sum::{SumLine, SumMismatch, chain, chain_hash, check as check_sum, render as render_sum, sum_path};
#[cfg(feature = "tools")]
pub use swap::{Rewrite, SwapError, abandon, resume, rewrite, write_file};
pub use tokens::same_tokens;
