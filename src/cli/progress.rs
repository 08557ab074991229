//! The progress bar of long runs: on stderr, only when stderr is a terminal (never in a
//! pipe or a CI log), and only once a run has taken long enough to be worth one.

use crate::lint::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A run shorter than this shows no bar (a pre-commit hook's one file).
const AFTER: Duration = Duration::from_millis(300);

pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
}

impl Bar {
    /// A bar when stderr is a terminal, else None.
    pub fn for_stderr() -> Option<Bar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{spinner} linting [{bar:30}] {percent:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Some(Bar { bar, started: Instant::now(), shown: AtomicBool::new(false) })
    }

    /// Removes the bar before the report is written.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn maybe_show(&self) {
        if !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() >= AFTER
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(120));
        }
    }
}

impl Progress for Bar {
    fn planned(&self, units: u64) {
        self.bar.inc_length(units);
        self.maybe_show();
    }

    fn advance(&self, units: u64) {
        self.bar.inc(units);
        self.maybe_show();
    }
}
