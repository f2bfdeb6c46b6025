//! The progress bar, the estimate printed before a long run, and Ctrl-C.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use povsim::runner::Observer;

use super::EXIT_INTERRUPTED;

/// Set by Ctrl-C (SIGINT) or SIGTERM; the run stops at the end of the current year.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// The first Ctrl-C or SIGTERM asks the run to stop; a second ends the process at once.
pub fn install_interrupt_handler() {
    let installed = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    if let Err(e) = installed {
        // Runs still work; only Ctrl-C falls back to the default (ending at once).
        eprintln!("warning: Ctrl-C will not stop runs cleanly: {e}");
    }
}

/// Whether Ctrl-C (or SIGTERM) was pressed.
pub fn interrupted() -> bool {
    CANCEL.load(Ordering::SeqCst)
}

/// Household-years a worker thread simulates per second, roughly (docs/benchmarks.md).
const HOUSEHOLD_YEARS_PER_THREAD_SECOND: f64 = 2.0e6;

/// Tell the user what a long run will take, before it starts; `on_stop` says what
/// Ctrl-C keeps.
pub fn announce(quiet: bool, household_years: u64, memory: u64, threads: usize, on_stop: &str) {
    let seconds =
        household_years as f64 / (HOUSEHOLD_YEARS_PER_THREAD_SECOND * threads.max(1) as f64);
    if !quiet && seconds > 10.0 {
        eprintln!(
            "estimated: about {:.0} s and {:.0} MB ({} household-years on {threads} threads); Ctrl-C {on_stop}",
            seconds,
            memory as f64 / 1e6,
            household_years
        );
    }
}

/// An indicatif bar on stderr, shown only for runs longer than a second, when stderr is
/// a terminal and not `--quiet`. It reports Ctrl-C to the library as a cancellation.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    enabled: bool,
    shown: AtomicBool,
}

impl Progress {
    /// A bar labelled `message`.
    pub fn new(quiet: bool, message: &'static str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(message);
        Progress {
            bar,
            start: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
        }
    }

    /// Clear the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn point_finished(&self, done: usize, total: usize) {
        self.bar.set_message(format!("{done}/{total} points"));
    }

    fn cancelled(&self) -> bool {
        CANCEL.load(Ordering::Relaxed)
    }

    fn started(&self, total: u64) {
        self.bar.set_length(total);
    }

    fn advanced(&self, done: u64) {
        self.bar.inc(done);
        if self.enabled
            && self.start.elapsed() > Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}
