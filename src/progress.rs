//! Progress of long work (a squash's phases, a replay's files, a fleet's targets), told to
//! whoever runs it while it runs: the CLI shows it on stderr, a library user may ignore it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What long work tells whoever runs it, while it runs. Every method does nothing unless
/// implemented, so a listener takes only what it shows.
pub trait Progress: Send + Sync {
    /// Work called `work`, of `total` steps, begins.
    fn begin(&self, _work: &str, _total: usize) {}
    /// Step `number` (from 1) of the work is under way; `what` names it.
    fn step(&self, _number: usize, _what: &str) {}
    /// `done` steps of work run in parallel have finished, the latest `what`.
    fn finished(&self, _done: usize, _what: &str) {}
    /// More about the step under way (the file a squash's replay is at).
    fn detail(&self, _what: &str) {}
    /// A warning, shown now rather than after the work.
    fn warn(&self, _line: &str) {}
    /// The work is over.
    fn end(&self) {}
}

/// Tells nobody anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Work done inside one step of other work: its steps become details of that step.
pub struct Within<'a> {
    outer: &'a dyn Progress,
    work: Mutex<(String, usize)>,
}

impl<'a> Within<'a> {
    /// Inner work reported as details of the step `outer` is at.
    pub fn new(outer: &'a dyn Progress) -> Self {
        Within { outer, work: Mutex::new((String::new(), 0)) }
    }

    fn tell(&self, number: usize, what: &str) {
        let (work, total) = self.work.lock().expect("progress is never poisoned").clone();
        self.outer.detail(&format!("{work} {number}/{total}: {what}"));
    }
}

impl Progress for Within<'_> {
    fn begin(&self, work: &str, total: usize) {
        *self.work.lock().expect("progress is never poisoned") = (work.to_string(), total);
    }

    fn step(&self, number: usize, what: &str) {
        self.tell(number, what);
    }

    fn finished(&self, done: usize, what: &str) {
        self.tell(done, what);
    }

    fn detail(&self, what: &str) {
        self.outer.detail(what);
    }

    fn warn(&self, line: &str) {
        self.outer.warn(line);
    }
}

/// Counts the steps of parallel work as they finish (across several batches of it).
pub struct Tally<'a> {
    progress: &'a dyn Progress,
    done: AtomicUsize,
}

impl<'a> Tally<'a> {
    /// No step finished yet; each one told to `progress`.
    pub fn new(progress: &'a dyn Progress) -> Self {
        Tally { progress, done: AtomicUsize::new(0) }
    }

    /// One more step finished: `what`.
    pub fn one_done(&self, what: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress.finished(done, what);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything it is told, a line each.
    #[derive(Default)]
    struct Heard(Mutex<Vec<String>>);

    impl Progress for Heard {
        fn begin(&self, work: &str, total: usize) {
            self.0.lock().unwrap().push(format!("begin {work} {total}"));
        }
        fn step(&self, number: usize, what: &str) {
            self.0.lock().unwrap().push(format!("step {number} {what}"));
        }
        fn finished(&self, done: usize, what: &str) {
            self.0.lock().unwrap().push(format!("finished {done} {what}"));
        }
        fn detail(&self, what: &str) {
            self.0.lock().unwrap().push(format!("detail {what}"));
        }
        fn warn(&self, line: &str) {
            self.0.lock().unwrap().push(format!("warn {line}"));
        }
        fn end(&self) {
            self.0.lock().unwrap().push("end".into());
        }
    }

    #[test]
    fn inner_work_becomes_details_of_the_outer_step_and_never_ends_it() {
        let outer = Heard::default();
        outer.begin("squash", 5);
        outer.step(2, "replay the chain");
        let inner = Within::new(&outer);
        inner.begin("replay", 3);
        inner.step(1, "001_a.sql");
        inner.finished(3, "003_c.sql");
        inner.warn("warning: x");
        inner.end();
        assert_eq!(
            *outer.0.lock().unwrap(),
            [
                "begin squash 5",
                "step 2 replay the chain",
                "detail replay 1/3: 001_a.sql",
                "detail replay 3/3: 003_c.sql",
                "warn warning: x",
            ]
        );
    }

    #[test]
    fn a_tally_counts_on_across_batches() {
        let heard = Heard::default();
        let tally = Tally::new(&heard);
        tally.one_done("canary ok");
        tally.one_done("a ok");
        tally.one_done("b FAILED");
        assert_eq!(*heard.0.lock().unwrap(), ["finished 1 canary ok", "finished 2 a ok", "finished 3 b FAILED"]);
    }
}
