//! Progress on stderr while long work runs: a bar redrawn in place on a terminal, a plain line
//! a step in logs, and nothing but warnings beside JSON output.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Progress;
use crate::report::Format;

/// How progress is shown on stderr.
pub enum Stderr {
    /// A bar redrawn in place (stderr is a terminal), with the step it is at.
    Bar(Mutex<Option<(ProgressBar, String)>>),
    /// A line a step (stderr is a log): the work and its number of steps.
    Lines(Mutex<(String, usize)>),
    /// Only warnings (the output is JSON).
    WarningsOnly,
}

impl Stderr {
    /// What suits output in `format` with this process's stderr.
    pub fn for_format(format: Format) -> Self {
        match format {
            Format::Json => Stderr::WarningsOnly,
            _ if std::io::stderr().is_terminal() => Stderr::Bar(Mutex::new(None)),
            _ => Stderr::Lines(Mutex::new((String::new(), 0))),
        }
    }

    /// Runs `print`, which writes whole lines, with the bar out of its way.
    pub fn above(&self, print: impl FnOnce()) {
        match self {
            Stderr::Bar(bar) => match &*lock(bar) {
                Some((bar, _)) => bar.suspend(print),
                None => print(),
            },
            _ => print(),
        }
    }
}

fn lock<T>(state: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    state.lock().expect("progress is never poisoned")
}

/// The plain line for step `number` of `total` of `work`.
fn step_line(work: &str, number: usize, total: usize, what: &str) -> String {
    format!("{work} [{number}/{total}] {what}")
}

/// The bar's look: what works, how far, how long, and the step it is at.
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix} [{bar:24}] {pos}/{len} {elapsed:>4} {wide_msg}")
        .expect("the template is valid")
        .progress_chars("=> ")
}

impl Progress for Stderr {
    fn begin(&self, work: &str, total: usize) {
        match self {
            Stderr::Bar(state) => {
                let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
                bar.set_style(bar_style());
                bar.set_prefix(work.to_string());
                bar.enable_steady_tick(Duration::from_millis(200));
                if let Some((old, _)) = lock(state).replace((bar, String::new())) {
                    old.finish_and_clear();
                }
            }
            Stderr::Lines(state) => *lock(state) = (work.to_string(), total),
            Stderr::WarningsOnly => {}
        }
    }

    fn step(&self, number: usize, what: &str) {
        match self {
            Stderr::Bar(state) => {
                if let Some((bar, step)) = &mut *lock(state) {
                    bar.set_position(number.saturating_sub(1) as u64);
                    bar.set_message(what.to_string());
                    *step = what.to_string();
                }
            }
            Stderr::Lines(state) => {
                let (work, total) = &*lock(state);
                eprintln!("{}", step_line(work, number, *total, what));
            }
            Stderr::WarningsOnly => {}
        }
    }

    fn finished(&self, done: usize, what: &str) {
        match self {
            Stderr::Bar(state) => {
                if let Some((bar, _)) = &*lock(state) {
                    bar.set_position(done as u64);
                    bar.set_message(what.to_string());
                }
            }
            Stderr::Lines(state) => {
                let (work, total) = &*lock(state);
                eprintln!("{}", step_line(work, done, *total, &format!("done: {what}")));
            }
            Stderr::WarningsOnly => {}
        }
    }

    fn detail(&self, what: &str) {
        if let Stderr::Bar(state) = self {
            if let Some((bar, step)) = &*lock(state) {
                bar.set_message(format!("{step} ({what})"));
            }
        }
    }

    fn warn(&self, line: &str) {
        self.above(|| eprintln!("{line}"));
    }

    fn end(&self) {
        if let Stderr::Bar(state) = self {
            if let Some((bar, _)) = lock(state).take() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Drop for Stderr {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_line_names_the_work_the_step_and_how_far_it_is() {
        assert_eq!(step_line("replay", 2, 12, "20240102_users.sql"), "replay [2/12] 20240102_users.sql");
    }
}
