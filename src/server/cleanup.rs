//! Everything a running command must undo if it is interrupted: servers to stop, directories
//! to remove, scratch databases to drop. Ctrl-C (SIGINT) and SIGTERM run these before exit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once};

type Undo = Box<dyn FnOnce() + Send>;

static PENDING: Mutex<BTreeMap<u64, Undo>> = Mutex::new(BTreeMap::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static HANDLER: Once = Once::new();
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// A registered undo action; dropping the guard forgets it (the owner has cleaned up itself).
#[derive(Debug)]
pub struct CleanupGuard(u64);

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        pending().remove(&self.0);
    }
}

/// Registers `undo` to run if the process is interrupted before the guard is dropped.
pub fn on_interrupt(undo: impl FnOnce() + Send + 'static) -> CleanupGuard {
    install_handler();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    pending().insert(id, Box::new(undo));
    CleanupGuard(id)
}

fn pending() -> std::sync::MutexGuard<'static, BTreeMap<u64, Undo>> {
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn install_handler() {
    HANDLER.call_once(|| {
        // A handler may already be installed by the embedding program; then it owns cleanup.
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            eprintln!("interrupted: stopping ephemeral servers and removing their files");
            run_all();
            std::process::exit(130);
        });
    });
}

/// Called before the process exits normally: while an interrupt is being cleaned up, the
/// work it interrupted fails (its server is going away), and exiting then would cut the
/// cleanup short. So wait; the interrupt handler ends the process with 130 when done.
pub fn wait_for_interrupt_cleanup() {
    while INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Runs every pending undo action, newest first.
pub fn run_all() {
    let actions: Vec<Undo> = {
        let mut map = pending();
        let ids: Vec<u64> = map.keys().rev().copied().collect();
        ids.into_iter().filter_map(|id| map.remove(&id)).collect()
    };
    for undo in actions {
        undo();
    }
}
