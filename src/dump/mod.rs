//! `pg_dump` and what is done to its output: dbmate's schema file (`dump`), and the psql
//! meta-command stripping `load` needs, and settings only newer servers know.

mod dbmate_format;
mod newer_settings;
mod pg_dump;

pub use dbmate_format::{ledger_block, strip_psql_meta_commands, trim_leading_sql_comments};
pub use newer_settings::{guard_newer_settings, guarded_setting, newer_setting};
pub use pg_dump::{DumpError, PgDumpVersion, dbmate_schema_dump, pg_dump_of, pg_dump_version};
