//! `squashmate backups`: what a squash's surgery kept in a live database (the retired tables it
//! moved aside, the retired columns' values it saved with their keys), read from the record the
//! surgery left beside them — listed with sizes and whether the rollback still needs them, one
//! put back after a proof on a throwaway copy, or dropped once old enough, a pg_dump first.

mod drop;
mod read;
mod render;
mod restore;

pub use drop::{DropError, DropSelection, Dropped, drop_script, drop_selected, dump_path, select_older_than};
pub use read::{Kept, KeptKind, KeptState, SquashBackups, left_out, read_backups, unrecorded_backups};
pub use render::{render_list, summary_line};
pub use restore::{RestoreError, Restored, find_kept, restore};
