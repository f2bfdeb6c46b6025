//! The `povsim` command: parses the flags, calls the library, prints, and draws the
//! progress bar. The library never prints; everything on the terminal is here.
//!
//! | module | what |
//! |---|---|
//! | [`args`] | the flags, as clap reads them |
//! | [`run`] | `run`, `validate`, `check`, `trace`, `report` |
//! | [`compare`] | `compare` (and the bare `povsim`) |
//! | [`study`] | `sweep`, `sensitivity`, `calibrate` |
//! | [`classroom`] | `classroom`: the local web server of the class's village |
//! | [`print`] | the tables printed on standard output |
//! | [`progress`] | the progress bar, the time estimate, Ctrl-C |

mod args;
mod classroom;
mod compare;
mod print;
mod progress;
mod run;
mod study;

use std::error::Error as StdError;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use povsim::output::OutputError;
use povsim::report::ReportError;
use povsim::runner::MemoryError;
use povsim::scenario::{Scenario, ScenarioError, Source};
use povsim::sensitivity::StudyError;

use args::{Cli, Command, CompareArgs};

/// Exit code for bad input (scenario, flags): distinct from failures (1) and panics (101).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Exit code after an interruption (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why a command failed, which decides its exit code.
#[derive(Debug)]
pub enum Failure {
    /// The command line does not parse; clap has printed why.
    Usage,
    /// A flag's value is refused.
    Flag {
        /// The flag, such as `--replication`.
        flag: String,
        /// The setting it gives.
        key: String,
        /// The value given.
        value: String,
        /// What would be valid.
        rule: String,
    },
    /// A file or folder given as input cannot be used: a scenario, study, factors,
    /// targets or cases file, or a folder that holds no povsim outputs.
    Input(Box<dyn StdError + Send + Sync>),
    /// Ctrl-C or SIGTERM stopped a run before it wrote anything.
    Interrupted(PathBuf),
    /// Ctrl-C or SIGTERM stopped a study, whose finished points are saved.
    InterruptedStudy {
        /// The study folder.
        dir: PathBuf,
        /// What is saved, such as "12 of 40 points are done".
        saved: String,
    },
    /// Anything else: a write that failed, a chart that could not be drawn, failed
    /// rule cases.
    Failed(anyhow::Error),
}

impl Failure {
    /// A flag's value is refused: `flag` gave `key` the `value`, and `rule` says what is
    /// valid.
    pub fn flag(flag: &str, key: &str, value: impl ToString, rule: &str) -> Failure {
        Failure::Flag {
            flag: flag.into(),
            key: key.into(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }

    /// The process's exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage | Failure::Flag { .. } | Failure::Input(_) => EXIT_BAD_INPUT,
            Failure::Interrupted(_) | Failure::InterruptedStudy { .. } => EXIT_INTERRUPTED,
            Failure::Failed(_) => 1,
        }
    }

    /// Whether this is a closed standard output (`povsim ... | head`), which is not a
    /// failure.
    fn is_broken_pipe(&self) -> bool {
        let Failure::Failed(e) = self else {
            return false;
        };
        e.chain().any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        })
    }
}

/// An error's text and its causes', joined by `: `, leaving out a cause whose text the
/// message already ends with (an error that prints its source and also returns it from
/// `source()` would otherwise say it twice).
fn with_causes(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage => write!(f, "invalid command line (see above)"),
            Failure::Flag {
                flag,
                key,
                value,
                rule,
            } => write!(f, "{flag}: `{key}` = {value}: {rule}"),
            Failure::Input(e) => write!(f, "{}", with_causes(e.as_ref())),
            Failure::Interrupted(dir) => write!(
                f,
                "interrupted before the run finished: nothing was written to {} (results are written only when complete; earlier results there are untouched)",
                dir.display()
            ),
            Failure::InterruptedStudy { dir, saved } => write!(
                f,
                "interrupted: {saved} and saved in {}; continue with --resume {}",
                dir.display(),
                dir.display()
            ),
            Failure::Failed(e) => write!(f, "{}", with_causes(e.as_ref())),
        }
    }
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Self {
        Failure::Input(Box::new(e))
    }
}

impl From<MemoryError> for Failure {
    fn from(e: MemoryError) -> Self {
        Failure::Input(Box::new(e))
    }
}

impl From<StudyError> for Failure {
    fn from(e: StudyError) -> Self {
        match e {
            StudyError::Input(e) => e.into(),
            other => Failure::Failed(other.into()),
        }
    }
}

impl From<ReportError> for Failure {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Chart(_) => Failure::Failed(e.into()),
            other => Failure::Input(Box::new(other)),
        }
    }
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Self {
        Failure::Failed(e.into())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Failed(e.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Failed(e)
    }
}

/// A command's result.
pub type Result<T = (), E = Failure> = std::result::Result<T, E>;

/// Run the command line of this process and return its exit code.
pub fn main() -> ExitCode {
    match run_command_line(std::env::args_os()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// Parse `args` (program name first) and run the command they name.
fn run_command_line(args: impl IntoIterator<Item = OsString>) -> Result {
    progress::install_interrupt_handler();
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            // clap's own message; if stderr is gone there is no one to tell.
            e.print().ok();
            return if code == 0 {
                Ok(())
            } else {
                Err(Failure::Usage)
            };
        }
    };
    let command_line: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match cli.command {
        None => compare::compare(CompareArgs::default(), &command_line),
        Some(Command::Run(a)) => run::run(a, &command_line),
        Some(Command::Compare(a)) => compare::compare(a, &command_line),
        Some(Command::Validate(a)) => run::validate(a),
        Some(Command::Check(a)) => run::check(a),
        Some(Command::Sweep(a)) => study::sweep(a),
        Some(Command::Sensitivity(a)) => study::sensitivity(a),
        Some(Command::Calibrate(a)) => study::calibrate(a),
        Some(Command::Trace(a)) => run::trace(a),
        Some(Command::Report(a)) => run::report(a),
        Some(Command::Merge(a)) => study::merge(a),
        Some(Command::Classroom(a)) => classroom::serve(a),
        Some(Command::Metrics(a)) => run::metrics(a),
    }
}

/// Load a scenario, and say on stderr which of its events the horizon does not reach.
fn load(source: &Source) -> Result<Scenario> {
    let s = source.load()?;
    note_unreached(&s);
    Ok(s)
}

/// One line on stderr for each event a shortened horizon does not reach.
fn note_unreached(s: &Scenario) {
    let sim = &s.params.simulation;
    for e in &s.unreached {
        eprintln!(
            "note: `{}`: the event of {} is past the horizon {}-{} that the command line sets: not reached",
            s.name,
            e.label(),
            sim.start_year,
            sim.start_year + sim.years as i32 - 1
        );
    }
}

/// The worker threads of `--threads`: a pool for this command, never a global one.
fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(k) = threads {
        if k == 0 {
            return Err(Failure::flag(
                "--threads",
                "threads",
                0,
                "the number of threads must be at least 1",
            ));
        }
        b = b.num_threads(k);
    }
    b.build()
        .map_err(|e| Failure::Failed(anyhow::Error::new(e).context("cannot start worker threads")))
}

/// Refuse a run that cannot fit in the memory this machine has free.
fn check_memory(scenarios: &[&Scenario], threads: usize) -> Result {
    povsim::runner::check_memory(scenarios, threads, povsim::runner::available_memory())?;
    Ok(())
}

/// Attach the charts and report to `files` unless `--no-report`, then write them all
/// into `dir`. The tables are the results: they are written even if the charts cannot
/// be.
fn write_outputs(
    dir: &std::path::Path,
    out: &args::OutputArgs,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result {
    if !out.no_report
        && let Err(e) = povsim::report::attach(dir, files)
    {
        eprintln!("warning: report.html not written: {e}");
    }
    povsim::output::write_dir(dir, out.force, files)?;
    Ok(())
}

/// The output folder: `--out`, or `outputs/NAME-TIMESTAMP`.
fn out_dir(out: &Option<PathBuf>, name: &str) -> PathBuf {
    out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs").join(format!("{name}-{}", povsim::output::timestamp()))
    })
}
