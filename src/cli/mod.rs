//! The `povsim` command. The only module that prints or draws on the terminal.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::{self, Manifest, Tables};
use crate::runner::{self, Observer};
use crate::scenario::{Scenario, ScenarioError, Source};

/// Exit code for bad input (scenario, flags): distinct from failures (1) and panics (101).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Agent-based Monte Carlo simulation of rural households returning to poverty.
#[derive(Debug, Parser)]
#[command(name = "povsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario and write its tables.
    Run(RunArgs),
    /// Check a scenario file and print it fully resolved.
    Validate(ValidateArgs),
}

/// Flags shared by every command that simulates.
#[derive(Debug, Clone, Args, Default)]
pub struct SimArgs {
    /// Households per replication.
    #[arg(long, value_name = "N")]
    pub households: Option<String>,
    /// Replications.
    #[arg(long, value_name = "R")]
    pub replications: Option<String>,
    /// Years to simulate.
    #[arg(long, value_name = "T")]
    pub years: Option<String>,
    /// Master seed.
    #[arg(long, value_name = "S")]
    pub seed: Option<String>,
    /// Override any parameter, e.g. --set policy.monitoring.detection_rate=0.9.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl SimArgs {
    /// The scenario source these flags describe.
    pub fn source(&self, path: Option<PathBuf>) -> Result<Source, ScenarioError> {
        let mut source = Source::new(path);
        for arg in &self.set {
            source = source.set(arg)?;
        }
        for (key, value, flag) in [
            ("simulation.households", &self.households, "--households"),
            (
                "simulation.replications",
                &self.replications,
                "--replications",
            ),
            ("simulation.years", &self.years, "--years"),
            ("simulation.seed", &self.seed, "--seed"),
        ] {
            if let Some(v) = value {
                source = source.flag(key, v, flag);
            }
        }
        Ok(source)
    }
}

#[derive(Debug, Args, Default)]
struct RunArgs {
    /// Scenario file (default: the built-in baseline).
    scenario: Option<PathBuf>,
    #[command(flatten)]
    sim: SimArgs,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "K")]
    threads: Option<usize>,
    /// Output directory (default: outputs/<scenario>-<timestamp>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace a non-empty output directory.
    #[arg(long)]
    force: bool,
    /// No progress bar and no summary table.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// Scenario file.
    scenario: PathBuf,
    /// Override any parameter, e.g. --set policy.monitoring.detection_rate=0.9.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

/// An error from bad input, to be reported with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BadInput(#[from] ScenarioError);

/// Run the command line.
pub fn main(args: impl IntoIterator<Item = OsString>) -> Result<()> {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            if code == 0 {
                return Ok(());
            }
            return Err(anyhow::Error::new(UsageError));
        }
    };
    let command_line: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match cli.command {
        None => run(RunArgs::default(), &command_line),
        Some(Command::Run(a)) => run(a, &command_line),
        Some(Command::Validate(a)) => validate(a),
    }
}

/// clap has already printed the message.
#[derive(Debug, thiserror::Error)]
#[error("invalid command line (see above)")]
struct UsageError;

/// The exit code for an error.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<BadInput>().is_some()
        || err.downcast_ref::<UsageError>().is_some()
        || err
            .chain()
            .any(|e| e.downcast_ref::<ScenarioError>().is_some())
    {
        EXIT_BAD_INPUT
    } else {
        1
    }
}

/// Whether the error is a closed stdout (`povsim ... | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn load(source: &Source) -> Result<Scenario> {
    source.load().map_err(|e| anyhow::Error::new(BadInput(e)))
}

fn validate(a: ValidateArgs) -> Result<()> {
    let sim = SimArgs {
        set: a.set,
        ..SimArgs::default()
    };
    let source = sim.source(Some(a.scenario.clone())).map_err(BadInput)?;
    let s = load(&source)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "# {} is valid.", a.scenario.display())?;
    out.write_all(s.to_toml().as_bytes())?;
    Ok(())
}

/// Build the thread pool for `--threads`.
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(k) = threads {
        if k == 0 {
            return Err(anyhow::Error::new(BadInput(ScenarioError::OutOfRange {
                at: crate::scenario::Origin::flag("--threads"),
                key: "threads".into(),
                value: "0".into(),
                rule: "the number of threads must be at least 1".into(),
            })));
        }
        b = b.num_threads(k);
    }
    b.build().context("cannot start worker threads")
}

fn run(a: RunArgs, command_line: &[String]) -> Result<()> {
    let source = a.sim.source(a.scenario.clone()).map_err(BadInput)?;
    let s = load(&source)?;
    let dir = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs").join(format!("{}-{}", s.name, output::timestamp()))
    });
    output::check_target(&dir, a.force)?;
    let pool = pool(a.threads)?;
    let progress = Progress::new(a.quiet, "simulating");
    let result = pool.install(|| runner::run(&s, &progress));
    progress.finish();
    let tables = Tables::new(&s, &result);
    let sim = &s.params.simulation;
    let household_years =
        sim.households * u64::from(sim.years + sim.burn_in_years) * u64::from(sim.replications);
    let manifest = Manifest {
        povsim_version: env!("CARGO_PKG_VERSION").into(),
        command_line: command_line.to_vec(),
        scenario: s.name.clone(),
        seed: sim.seed,
        threads: pool.current_num_threads(),
        households: sim.households,
        years: sim.years,
        burn_in_years: sim.burn_in_years,
        replications: sim.replications,
        wall_seconds: result.seconds,
        household_years_per_second: household_years as f64 / result.seconds.max(1e-9),
    };
    output::write_run(&dir, a.force, &s, &tables, &manifest)?;
    if !a.quiet {
        let mut out = std::io::stdout().lock();
        print_summary(&mut out, &s, &tables)?;
        writeln!(out, "\nwrote {}", dir.display())?;
    }
    Ok(())
}

fn print_summary(out: &mut impl Write, s: &Scenario, t: &Tables) -> std::io::Result<()> {
    let sim = &s.params.simulation;
    writeln!(
        out,
        "{}: {} households x {} years ({}-{}) x {} replications, seed {}",
        s.name,
        sim.households,
        sim.years,
        sim.start_year,
        sim.start_year + sim.years as i32 - 1,
        sim.replications,
        sim.seed
    )?;
    writeln!(
        out,
        "{:<34} {:>12} {:>25}",
        "metric", "mean", "95% interval"
    )?;
    let rows: [(&str, &str, f64, &str); 8] = [
        ("return_rate", "return rate, per year", 100.0, "%"),
        (
            "cumulative_return_prob",
            "lifted who ever return",
            100.0,
            "%",
        ),
        ("new_poverty_rate", "new poverty rate, per year", 100.0, "%"),
        ("headcount_rate", "poverty headcount", 100.0, "%"),
        ("monitored", "households monitored", 1.0, ""),
        ("missed", "at risk but missed, per year", 1.0, ""),
        ("cost_total", "program cost per year (CNY)", 1.0, ""),
        ("total_cost", "program cost, horizon (CNY)", 1.0, ""),
    ];
    for (metric, label, scale, unit) in rows {
        if let Some(sm) = t.summary_of(metric) {
            let interval = match sm.ci {
                Some((lo, hi)) => format!("{} to {}", fmt(lo * scale, unit), fmt(hi * scale, unit)),
                None => "-".into(),
            };
            writeln!(
                out,
                "{:<34} {:>12} {:>25}",
                label,
                fmt(sm.mean * scale, unit),
                interval
            )?;
        }
    }
    Ok(())
}

fn fmt(x: f64, unit: &str) -> String {
    if unit == "%" {
        format!("{x:.2}%")
    } else if x.abs() >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else {
        format!("{x:.1}")
    }
}

/// An indicatif bar on stderr, shown only for runs longer than a second, when stderr is
/// a terminal and not `--quiet`.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    enabled: bool,
    shown: Mutex<bool>,
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
            shown: Mutex::new(false),
        }
    }

    /// Clear the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn started(&self, total: u64) {
        self.bar.set_length(total);
    }

    fn advanced(&self, done: u64) {
        self.bar.inc(done);
        if self.enabled
            && self.start.elapsed() > Duration::from_secs(1)
            && let Ok(mut shown) = self.shown.lock()
            && !*shown
        {
            *shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}
