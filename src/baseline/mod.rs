//! The header of a squashmate baseline migration: which versions it replaced, so that `status`
//! can explain ledger rows without files and `gate` can check a squash honestly.

mod header;

pub use header::{BaselineHeader, HEADER_MARKER};
