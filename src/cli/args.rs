//! The command line's flags, as clap reads them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use povsim::scenario::{ScenarioError, Source};

/// Agent-based Monte Carlo simulation of rural households returning to poverty.
#[derive(Debug, Parser)]
#[command(name = "povsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write its tables.
    Run(RunArgs),
    /// Compare a baseline with variants (or a study file) on common random numbers.
    Compare(CompareArgs),
    /// Check a scenario file and print it fully resolved.
    Validate(ValidateArgs),
    /// Run policy rule cases: one household-year with fixed shocks and expected values.
    Check(CheckArgs),
    /// Run a scenario over a full-factorial grid of parameter values.
    Sweep(SweepArgs),
    /// Which assumptions drive a metric: Latin hypercube, Morris or Sobol.
    Sensitivity(SensitivityArgs),
    /// Fit a scenario's parameters to published targets: a Latin hypercube screen,
    /// then Nelder-Mead, on common random numbers.
    Calibrate(CalibrateArgs),
    /// Tell one household's story year by year.
    Trace(TraceArgs),
    /// Rebuild the charts and report.html of an output directory from its files.
    Report(ReportArgs),
    /// Check that every point of a sharded study is done, then write its tables and
    /// report.
    Merge(MergeArgs),
    /// Serve an interactive village for a class: a local web page on the real engine.
    Classroom(ClassroomArgs),
    /// List every metric the tables hold, with its unit and what it counts.
    Metrics(MetricsArgs),
}

#[derive(Debug, Args)]
pub struct ClassroomArgs {
    /// Scenario the class starts from (default: the built-in baseline).
    pub scenario: Option<PathBuf>,
    /// Households in the village when the page starts (50 to 5000).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub households: u64,
    /// Port to listen on (0: any free port; the address is printed).
    #[arg(long, value_name = "P", default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. The default serves this machine only; another address
    /// (such as 0.0.0.0, to share the page on a classroom network) needs this flag.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Write CSV (name, table, unit, label, counts) instead of a table.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A directory written by run, compare, sweep or sensitivity.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Scenario file (default: the built-in baseline).
    pub scenario: Option<PathBuf>,
    /// Household index (0-based) within the replication.
    #[arg(long, value_name = "ID")]
    pub household: Option<u64>,
    /// Pick a household whose story shows: returned, never-poor or monitored.
    #[arg(long, value_name = "OUTCOME", conflicts_with = "household")]
    pub find: Option<String>,
    /// Replication.
    #[arg(long, value_name = "R", default_value_t = 0)]
    pub replication: u32,
    /// text or csv.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: String,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (default: the built-in baseline).
    pub scenario: Option<PathBuf>,
    /// A parameter and its values: KEY=LO:HI:N (N values) or KEY=V1,V2,V3. Repeat for a grid.
    #[arg(long, value_name = "KEY=VALUES")]
    pub vary: Vec<String>,
    /// Complete an interrupted or prepared sweep in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "vary"])]
    pub resume: Option<PathBuf>,
    #[command(flatten)]
    pub split: SplitArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (default: the built-in baseline).
    pub scenario: Option<PathBuf>,
    /// Factors file: [[factor]] entries with key, distribution and bounds.
    #[arg(long, value_name = "FILE")]
    pub factors: Option<PathBuf>,
    /// lhs, morris or sobol.
    #[arg(long, value_name = "METHOD", default_value = "morris")]
    pub method: String,
    /// LHS points, Morris trajectories or Sobol base samples.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub samples: usize,
    /// The summary metric the indices are computed on.
    #[arg(long, value_name = "NAME", default_value = "return_rate")]
    pub metric: String,
    /// Add a factor that changes nothing, to show the noise floor of the indices.
    #[arg(long)]
    pub dummy: bool,
    /// Complete an interrupted or prepared study in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "factors"])]
    pub resume: Option<PathBuf>,
    #[command(flatten)]
    pub split: SplitArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Scenario file (default: the built-in baseline).
    pub scenario: Option<PathBuf>,
    /// Targets file: [[target]] entries; those naming the scenario are fitted.
    #[arg(long, value_name = "FILE", default_value = "builtin:targets.toml")]
    pub targets: PathBuf,
    /// Factors file: the parameters to fit, each with its range.
    #[arg(long, value_name = "FILE")]
    pub factors: Option<PathBuf>,
    /// Targets (by name or metric) left out of the fit and reported as validation.
    #[arg(long, value_name = "TARGET", num_args = 1..)]
    pub holdout: Vec<String>,
    /// Points of the Latin hypercube screen.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub samples: usize,
    /// Nelder-Mead evaluations after the screen.
    #[arg(long, value_name = "N", default_value_t = 120)]
    pub evaluations: usize,
    /// Complete an interrupted calibration in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "factors", "holdout"])]
    pub resume: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Case files (TOML), or folders of them.
    #[arg(required = true)]
    pub cases: Vec<PathBuf>,
    /// Print every value a case produced, not only the differences.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args, Default)]
pub struct CompareArgs {
    /// BASELINE VARIANT... scenario files, or one study file (default: the bundled
    /// Jingtai study).
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Add replications in batches until the 95% half-width of every return-rate
    /// difference is below EPS (a rate: 0.001 is 0.1 points).
    #[arg(long, value_name = "EPS")]
    pub precision: Option<f64>,
    /// Give each variant its own seed (no common random numbers) and compare with
    /// unpaired intervals, to see what common random numbers save.
    #[arg(long)]
    pub independent: bool,
    /// Upper limit on replications for --precision.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_replications: u32,
}

/// Flags that split a study across processes or machines.
#[derive(Debug, Clone, Args, Default)]
pub struct SplitArgs {
    /// Write the plan, design and scenario into --out without running any point, for
    /// shards to run (`--resume DIR --shard I/N`) and `povsim merge DIR` to finish.
    #[arg(long, conflicts_with = "resume")]
    pub prepare: bool,
    /// With --resume: run only the points of shard I of N (I from 1 to N), or `slurm`
    /// for this task of a Slurm job array. Shards write into one folder; `povsim merge`
    /// writes the tables when all are done.
    #[arg(long, value_name = "I/N", requires = "resume")]
    pub shard: Option<String>,
}

/// `povsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// A study folder whose points shards have run.
    pub dir: PathBuf,
    /// No table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write the tables only, without charts/ and report.html.
    #[arg(long)]
    pub no_report: bool,
}

/// Flags for how a simulation runs and where it writes.
#[derive(Debug, Clone, Args, Default)]
pub struct OutputArgs {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "K")]
    pub threads: Option<usize>,
    /// Output directory (default: outputs/<name>-<timestamp>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write the tables and the manifest only, without charts/ and report.html: for
    /// scripts that run many times (`povsim report DIR` builds them later).
    #[arg(long)]
    pub no_report: bool,
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

#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (default: the built-in baseline).
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file.
    pub scenario: PathBuf,
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
