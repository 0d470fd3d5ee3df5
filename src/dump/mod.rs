//! `pg_dump` and what is done to its output: dbmate's schema file (`dump`), and the psql
//! meta-command stripping `load` needs, settings only newer servers know, rows as inserts,
//! a setup's entries taken out, and two dumps compared as the proof's second judge.

mod copy_rows;
mod dbmate_format;
mod entries;
mod judge;
mod newer_settings;
mod pg_dump;

pub use copy_rows::copy_rows_as_inserts;
pub use entries::{ledger_extras, without_setup_entries};
pub use judge::compare_dumps;

pub use dbmate_format::{ledger_block, strip_psql_meta_commands, trim_leading_sql_comments};
pub use newer_settings::{guard_newer_settings, guarded_setting, newer_setting};
pub use pg_dump::{DumpError, PgDumpVersion, dbmate_schema_dump, pg_dump_of, pg_dump_version};
