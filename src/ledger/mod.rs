//! The dbmate-compatible ledger against a live database: connecting (with TLS), applying and
//! rolling back files as units, the migration lock, and status.

mod apply_error;
mod connect;
mod database_url;
mod file_unit;
mod lock;
mod migrator;
mod remedy;
mod status;
mod table;
mod url_parts;

pub use crate::migration::Way;
pub use apply_error::{ApplyError, StatementFailure};
pub use connect::{ConnectError, connect};
pub use database_url::{DatabaseUrl, SslMode, UrlError};
pub use file_unit::{FileOptions, FileRun, apply_file, run_file};
pub use lock::{DBMATE_LOCK_KEY, LOCK_NAMESPACE, LockError, acquire as acquire_lock, lock_key, release as release_lock};
pub use migrator::{Event, MigrateError, Migrator, MigratorOptions, RollbackTarget};
pub use remedy::Remedy;
pub use status::{FileStatus, OrphanRow, Status};
pub use table::LedgerTable;
