//! The `povsim` command. The only module that prints or draws on the terminal.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use std::path::Path;

use crate::compare::{self, Comparison, Precision, Study as CompareStudy};
use crate::output::{self, Manifest, Tables};
use crate::runner::{self, Observer};
use crate::scenario::{Scenario, ScenarioError, Source};
use crate::sensitivity::{self, Method, Plan, Study, StudyError};

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
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// A directory written by run, compare, sweep or sensitivity.
    dir: PathBuf,
}

fn report_cmd(a: ReportArgs) -> Result<()> {
    let written = crate::report::write(&a.dir).map_err(|e| match e {
        crate::report::ReportError::Chart(_) => anyhow::Error::new(e),
        other => anyhow::Error::new(BadReportInput(other)),
    })?;
    println!("wrote {} in {}", written.join(", "), a.dir.display());
    Ok(())
}

/// The directory given to `povsim report` cannot be read as povsim outputs.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct BadReportInput(crate::report::ReportError);

#[derive(Debug, Args)]
struct TraceArgs {
    /// Scenario file (default: the built-in baseline).
    scenario: Option<PathBuf>,
    /// Household index (0-based) within the replication.
    #[arg(long, value_name = "ID")]
    household: Option<u64>,
    /// Pick a household whose story shows: returned, never-poor or monitored.
    #[arg(long, value_name = "OUTCOME", conflicts_with = "household")]
    find: Option<String>,
    /// Replication.
    #[arg(long, value_name = "R", default_value_t = 0)]
    replication: u32,
    /// text or csv.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    format: String,
    #[command(flatten)]
    sim: SimArgs,
}

fn trace_cmd(a: TraceArgs) -> Result<()> {
    let s = load(&a.sim.source(a.scenario.clone()).map_err(BadInput)?)?;
    let sim = &s.params.simulation;
    if a.replication >= sim.replications {
        return Err(bad(
            "replication",
            a.replication,
            "--replication",
            &format!(
                "must be below the scenario's {} replications",
                sim.replications
            ),
        ));
    }
    if !["text", "csv"].contains(&a.format.as_str()) {
        return Err(bad("format", &a.format, "--format", "must be text or csv"));
    }
    let id = match (&a.find, a.household) {
        (Some(what), _) => {
            let kind = match what.as_str() {
                "returned" => crate::trace::Find::Returned,
                "never-poor" => crate::trace::Find::NeverPoor,
                "monitored" => crate::trace::Find::Monitored,
                w => {
                    return Err(bad(
                        "find",
                        w,
                        "--find",
                        "must be returned, never-poor or monitored",
                    ));
                }
            };
            crate::trace::find(&s, a.replication, kind)
                .ok_or_else(|| anyhow::anyhow!("no household in replication {} shows `{what}`; try another --replication or more --households", a.replication))?
        }
        (None, Some(id)) if id < sim.households => id,
        (None, Some(id)) => {
            return Err(bad(
                "household",
                id,
                "--household",
                &format!(
                    "must be below the {} households of the scenario",
                    sim.households
                ),
            ));
        }
        (None, None) => {
            return Err(bad(
                "household",
                "none",
                "povsim trace",
                "give --household ID or --find returned|never-poor|monitored",
            ));
        }
    };
    let years = crate::trace::trace(&s, a.replication, id);
    let bytes = if a.format == "csv" {
        crate::trace::csv(&s, id, &years)?
    } else {
        crate::trace::narrative(&s, id, &years).into_bytes()
    };
    std::io::stdout().lock().write_all(&bytes)?;
    Ok(())
}

#[derive(Debug, Args)]
struct SweepArgs {
    /// Scenario file (default: the built-in baseline).
    scenario: Option<PathBuf>,
    /// A parameter and its values: KEY=LO:HI:N (N values) or KEY=V1,V2,V3. Repeat for a grid.
    #[arg(long, value_name = "KEY=VALUES")]
    vary: Vec<String>,
    /// Complete an interrupted sweep in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "vary"])]
    resume: Option<PathBuf>,
    #[command(flatten)]
    sim: SimArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Args)]
struct SensitivityArgs {
    /// Scenario file (default: the built-in baseline).
    scenario: Option<PathBuf>,
    /// Factors file: [[factor]] entries with key, distribution and bounds.
    #[arg(long, value_name = "FILE")]
    factors: Option<PathBuf>,
    /// lhs, morris or sobol.
    #[arg(long, value_name = "METHOD", default_value = "morris")]
    method: String,
    /// LHS points, Morris trajectories or Sobol base samples.
    #[arg(long, value_name = "N", default_value_t = 20)]
    samples: usize,
    /// The summary metric the indices are computed on.
    #[arg(long, value_name = "NAME", default_value = "return_rate")]
    metric: String,
    /// Add a factor that changes nothing, to show the noise floor of the indices.
    #[arg(long)]
    dummy: bool,
    /// Complete an interrupted study in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "factors"])]
    resume: Option<PathBuf>,
    #[command(flatten)]
    sim: SimArgs,
    #[command(flatten)]
    output: OutputArgs,
}

fn study_error(e: StudyError) -> anyhow::Error {
    match e {
        StudyError::Input(e) => anyhow::Error::new(BadInput(e)),
        other => anyhow::Error::new(other),
    }
}

fn sweep(a: SweepArgs) -> Result<()> {
    let study = match &a.resume {
        Some(dir) => Study::open(dir).map_err(study_error)?,
        None => {
            if a.vary.is_empty() {
                return Err(bad(
                    "vary",
                    "none",
                    "--vary",
                    "give at least one --vary KEY=LO:HI:N or KEY=V1,V2,...",
                ));
            }
            let varied = a
                .vary
                .iter()
                .map(|v| sensitivity::parse_vary(v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(BadInput)?;
            let s = load(&a.sim.source(a.scenario.clone()).map_err(BadInput)?)?;
            let plan = Plan {
                method: Method::Sweep,
                metric: compare::RANK_METRIC.into(),
                samples: 0,
                seed: s.params.simulation.seed,
                varied,
                factors: Vec::new(),
            };
            let dir = a.output.out.clone().unwrap_or_else(|| {
                PathBuf::from("outputs").join(format!("{}-sweep-{}", s.name, output::timestamp()))
            });
            Study::create(&dir, a.output.force, &s, plan).map_err(study_error)?
        }
    };
    run_study(&study, &a.output, "sweep")
}

fn sensitivity_cmd(a: SensitivityArgs) -> Result<()> {
    let study = match &a.resume {
        Some(dir) => Study::open(dir).map_err(study_error)?,
        None => {
            let method = match a.method.as_str() {
                "lhs" => Method::Lhs,
                "morris" => Method::Morris,
                "sobol" => Method::Sobol,
                m => return Err(bad("method", m, "--method", "must be lhs, morris or sobol")),
            };
            if a.samples < 2 || a.samples > 100_000 {
                return Err(bad(
                    "samples",
                    a.samples,
                    "--samples",
                    "must be from 2 to 100000",
                ));
            }
            let path = a
                .factors
                .clone()
                .unwrap_or_else(|| PathBuf::from("builtin:factors.toml"));
            let mut factors = sensitivity::load_factors(&path).map_err(BadInput)?;
            if a.dummy {
                factors.push(crate::design::Factor::dummy());
            }
            let s = load(&a.sim.source(a.scenario.clone()).map_err(BadInput)?)?;
            let plan = Plan::sensitivity(
                method,
                &a.metric,
                a.samples,
                s.params.simulation.seed,
                &factors,
            )?;
            let dir = a.output.out.clone().unwrap_or_else(|| {
                PathBuf::from("outputs").join(format!(
                    "{}-{}-{}",
                    s.name,
                    method.name(),
                    output::timestamp()
                ))
            });
            Study::create(&dir, a.output.force, &s, plan).map_err(study_error)?
        }
    };
    run_study(&study, &a.output, "points")
}

#[derive(Debug, Args)]
struct CalibrateArgs {
    /// Scenario file (default: the built-in baseline).
    scenario: Option<PathBuf>,
    /// Targets file: [[target]] entries; those naming the scenario are fitted.
    #[arg(long, value_name = "FILE", default_value = "builtin:targets.toml")]
    targets: PathBuf,
    /// Factors file: the parameters to fit, each with its range.
    #[arg(long, value_name = "FILE")]
    factors: Option<PathBuf>,
    /// Targets (by name or metric) left out of the fit and reported as validation.
    #[arg(long, value_name = "TARGET", num_args = 1..)]
    holdout: Vec<String>,
    /// Points of the Latin hypercube screen.
    #[arg(long, value_name = "N", default_value_t = 40)]
    samples: usize,
    /// Nelder-Mead evaluations after the screen.
    #[arg(long, value_name = "N", default_value_t = 120)]
    evaluations: usize,
    /// Complete an interrupted calibration in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "factors", "holdout"])]
    resume: Option<PathBuf>,
    #[command(flatten)]
    sim: SimArgs,
    #[command(flatten)]
    output: OutputArgs,
}

fn calibrate_cmd(a: CalibrateArgs) -> Result<()> {
    use crate::calibrate::Calibration;
    let mut cal = match &a.resume {
        Some(dir) => Calibration::open(dir).map_err(study_error)?,
        None => {
            let Some(factors) = a.factors.clone() else {
                return Err(bad(
                    "factors",
                    "none",
                    "--factors",
                    "give the factors file of the parameters to fit, e.g. scenarios/baseline_factors.toml",
                ));
            };
            for (name, n, low) in [("samples", a.samples, 1), ("evaluations", a.evaluations, 0)] {
                if n < low || n > 100_000 {
                    return Err(bad(
                        name,
                        n,
                        &format!("--{name}"),
                        &format!("must be from {low} to 100000"),
                    ));
                }
            }
            let s = load(&a.sim.source(a.scenario.clone()).map_err(BadInput)?)?;
            let dir = a.output.out.clone().unwrap_or_else(|| {
                PathBuf::from("outputs").join(format!(
                    "{}-calibrate-{}",
                    s.name,
                    output::timestamp()
                ))
            });
            Calibration::create(
                &dir,
                a.output.force,
                &s,
                &a.targets,
                &factors,
                a.holdout.clone(),
                a.samples,
                a.evaluations,
            )
            .map_err(study_error)?
        }
    };
    let out = &a.output;
    let pool = pool(out.threads)?;
    let total = cal.evaluations_planned().map_err(study_error)?;
    let per = cal.household_years_per_evaluation().map_err(study_error)?;
    let base = Source::new(Some(cal.dir.join("scenario.toml")))
        .load()
        .map_err(BadInput)?;
    announce(
        out.quiet,
        per * total as u64,
        runner::memory_estimate(&base, pool.current_num_threads()),
        pool.current_num_threads(),
        "keeps finished evaluations; --resume continues the fit",
    );
    let progress = Progress::new(out.quiet, "evaluations");
    progress.started(per * total as u64);
    let best = pool.install(|| cal.run(&progress)).map_err(study_error)?;
    progress.finish();
    let Some(best) = best else {
        return Err(
            anyhow::Error::new(Interrupted(cal.dir.clone())).context(format!(
                "{} evaluations are done and saved; continue with --resume {}",
                cal.evaluations_done(),
                cal.dir.display()
            )),
        );
    };
    let fit = pool.install(|| cal.finish(&best)).map_err(study_error)?;
    if !out.quiet {
        let mut o = std::io::stdout().lock();
        writeln!(
            o,
            "calibrated {} over {} evaluations: distance {:.3}; wrote {} in {}",
            cal.plan.scenario,
            cal.evaluations_done(),
            fit.distance,
            fit.files.join(", "),
            cal.dir.display()
        )?;
        writeln!(
            o,
            "{:<28} {:>8} {:>12} {:>10} {:>26}  met",
            "target", "role", "published", "tolerance", "simulated (95% CI)"
        )?;
        for row in &fit.rows {
            let (t, sim) = (&row.target, &row.simulated);
            writeln!(
                o,
                "{:<28} {:>8} {:>12.5} {:>10.5} {:>10.5} [{:.5}, {:.5}]  {}",
                t.name,
                row.role(),
                t.value,
                t.tolerance,
                sim.mean,
                sim.ci.0,
                sim.ci.1,
                if row.met() { "yes" } else { "NO" }
            )?;
        }
        for (f, v) in cal.factors.iter().zip(&fit.values) {
            let edge = if fit.at_edge.contains(&f.key) {
                "  (at an edge of its range)"
            } else {
                ""
            };
            writeln!(o, "{} = {v:.6}{edge}", f.key)?;
        }
    }
    Ok(())
}

fn run_study(study: &Study, out: &OutputArgs, label: &'static str) -> Result<()> {
    let pool = pool(out.threads)?;
    check_memory(&[&study.scenario], pool.current_num_threads())?;
    let total = study.len();
    let pending = study.pending();
    let per_point = study.household_years_per_point();
    announce(
        out.quiet,
        per_point * pending.len() as u64,
        runner::memory_estimate(&study.scenario, pool.current_num_threads()),
        pool.current_num_threads(),
        "keeps finished points; --resume completes the study",
    );
    let progress = Progress::new(out.quiet, label);
    progress.point_finished(total - pending.len(), total);
    progress.started(per_point * total as u64);
    progress.advanced(per_point * (total - pending.len()) as u64);
    let ran = pool.install(|| study.run(&progress)).map_err(study_error)?;
    progress.finish();
    let remaining = study.pending().len();
    if remaining > 0 {
        return Err(
            anyhow::Error::new(Interrupted(study.dir.clone())).context(format!(
                "{} of {total} points are done and saved; complete them with --resume {}",
                total - remaining,
                study.dir.display()
            )),
        );
    }
    let finished = study.finish().map_err(study_error)?;
    let mut files = finished.files;
    if !out.no_report {
        match crate::report::write(&study.dir) {
            Ok(written) => files.extend(written),
            Err(e) => eprintln!("warning: report.html not written: {e}"),
        }
    }
    if !out.quiet {
        let mut o = std::io::stdout().lock();
        writeln!(
            o,
            "{total} points ({ran} run now), metric {}; wrote {} in {}",
            study.plan.metric,
            files.join(", "),
            study.dir.display()
        )?;
        if let Some(primary) = study.plan.method.primary_index() {
            let mut rows: Vec<_> = finished
                .indices
                .iter()
                .filter(|x| x.index == primary)
                .collect();
            rows.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
            writeln!(
                o,
                "{:<44} {:>10} {}",
                "factor",
                primary,
                if study.plan.method == Method::Sobol {
                    "95% bootstrap interval"
                } else {
                    ""
                }
            )?;
            for x in rows {
                let ci =
                    x.ci.map(|(lo, hi)| format!("[{lo:.3}, {hi:.3}]"))
                        .unwrap_or_default();
                writeln!(o, "{:<44} {:>10.4} {ci}", x.factor, x.value)?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Case files (TOML), or folders of them.
    #[arg(required = true)]
    cases: Vec<PathBuf>,
    /// Print every value a case produced, not only the differences.
    #[arg(long, short)]
    verbose: bool,
}

/// Some rule cases failed.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} rule cases failed")]
struct CasesFailed {
    failed: usize,
    total: usize,
}

fn check(a: CheckArgs) -> Result<()> {
    let mut files = Vec::new();
    for path in &a.cases {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read folder {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for f in &files {
        let name = f.display().to_string();
        let case = crate::cases::load(f).map_err(BadInput)?;
        let outcome = crate::cases::run(&case, &name).map_err(BadInput)?;
        let status = if outcome.passed() { "pass" } else { "FAIL" };
        writeln!(out, "{status}  {name}: {}", outcome.description)?;
        for (key, want, got) in &outcome.failures {
            match got {
                Some(g) => writeln!(
                    out,
                    "      {key}: expected {want}, got {g} (difference {})",
                    g - want
                )?,
                None => writeln!(
                    out,
                    "      {key}: expected {want}, but the case has no such value (see --verbose)"
                )?,
            }
        }
        if a.verbose {
            for (k, v) in &outcome.values {
                writeln!(out, "      {k} = {v}")?;
            }
        }
        failed += usize::from(!outcome.passed());
    }
    writeln!(out, "{} passed, {failed} failed", files.len() - failed)?;
    if failed > 0 {
        return Err(anyhow::Error::new(CasesFailed {
            failed,
            total: files.len(),
        }));
    }
    Ok(())
}

#[derive(Debug, Args, Default)]
struct CompareArgs {
    /// BASELINE VARIANT... scenario files, or one study file (default: the bundled
    /// Jingtai study).
    files: Vec<PathBuf>,
    #[command(flatten)]
    sim: SimArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Add replications in batches until the 95% half-width of every return-rate
    /// difference is below EPS (a rate: 0.001 is 0.1 points).
    #[arg(long, value_name = "EPS")]
    precision: Option<f64>,
    /// Give each variant its own seed (no common random numbers) and compare with
    /// unpaired intervals, to see what common random numbers save.
    #[arg(long)]
    independent: bool,
    /// Upper limit on replications for --precision.
    #[arg(long, value_name = "N", default_value_t = 200)]
    max_replications: u32,
}

/// Flags for how a simulation runs and where it writes.
#[derive(Debug, Clone, Args, Default)]
struct OutputArgs {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "K")]
    threads: Option<usize>,
    /// Output directory (default: outputs/<name>-<timestamp>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace a non-empty output directory.
    #[arg(long)]
    force: bool,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
    /// Write the tables and the manifest only, without charts/ and report.html: for
    /// scripts that run many times (`povsim report DIR` builds them later).
    #[arg(long)]
    no_report: bool,
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
    #[command(flatten)]
    output: OutputArgs,
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

/// Set by Ctrl-C (SIGINT) or SIGTERM; the run stops at the end of the current year.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// Exit code after an interruption (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Where the results went, pointing at the report when there is one.
fn wrote(dir: &std::path::Path, files: &[(String, Vec<u8>)]) -> String {
    if files.iter().any(|(name, _)| name == "report.html") {
        format!(
            "wrote {}; the report to read or hand on is {}",
            dir.display(),
            dir.join("report.html").display()
        )
    } else {
        format!("wrote {}", dir.display())
    }
}

/// The run was interrupted; nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("interrupted before the run finished: nothing was written to {} (results are written only when complete; earlier results there are untouched)", .0.display())]
pub struct Interrupted(PathBuf);

fn install_interrupt_handler() {
    // A second signal ends the process at once.
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
}

/// Refuse a run that cannot fit in the memory available, before allocating anything.
fn check_memory(scenarios: &[&Scenario], threads: usize) -> Result<()> {
    let need: u64 = scenarios
        .iter()
        .map(|s| runner::memory_estimate(s, threads))
        .max()
        .unwrap_or(0);
    let Some(available) = available_memory() else {
        return Ok(());
    };
    if need > available / 10 * 9 {
        let s = scenarios[0];
        let room = (available / 10 * 9).saturating_sub(64 << 20);
        // A population that fits lean may be too small to run lean.
        let mut fits = room / runner::bytes_per_household(runner::LARGE_POPULATION);
        if fits < runner::LARGE_POPULATION {
            fits = room / runner::bytes_per_household(0);
        }
        return Err(bad(
            "simulation.households",
            s.params.simulation.households,
            "memory check",
            &format!(
                "the run needs about {:.1} GB but {:.1} GB are available; use at most about {} households (--households), or fewer threads (--threads 1)",
                need as f64 / 1e9,
                available as f64 / 1e9,
                fits
            ),
        ));
    }
    Ok(())
}

/// Household-years a worker thread simulates per second, roughly (docs/benchmarks.md).
const HOUSEHOLD_YEARS_PER_THREAD_SECOND: f64 = 2.0e6;

/// Tell the user what a long run will take, before it starts.
fn announce(quiet: bool, household_years: u64, memory: u64, threads: usize, on_stop: &str) {
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

/// `MemAvailable` from /proc/meminfo, where there is one.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Run the command line.
pub fn main(args: impl IntoIterator<Item = OsString>) -> Result<()> {
    install_interrupt_handler();
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
        None => compare(CompareArgs::default(), &command_line),
        Some(Command::Run(a)) => run(a, &command_line),
        Some(Command::Compare(a)) => compare(a, &command_line),
        Some(Command::Validate(a)) => validate(a),
        Some(Command::Check(a)) => check(a),
        Some(Command::Sweep(a)) => sweep(a),
        Some(Command::Sensitivity(a)) => sensitivity_cmd(a),
        Some(Command::Calibrate(a)) => calibrate_cmd(a),
        Some(Command::Trace(a)) => trace_cmd(a),
        Some(Command::Report(a)) => report_cmd(a),
    }
}

/// clap has already printed the message.
#[derive(Debug, thiserror::Error)]
#[error("invalid command line (see above)")]
struct UsageError;

/// The exit code for an error.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<Interrupted>().is_some() {
        return EXIT_INTERRUPTED;
    }
    if err.downcast_ref::<BadInput>().is_some()
        || err.downcast_ref::<BadReportInput>().is_some()
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

/// The message for an error: its chain of causes joined by `: `, leaving out a cause
/// whose text the message already ends with (an error that prints its source and also
/// returns it from `source()` would otherwise say it twice).
pub fn message(err: &anyhow::Error) -> String {
    let mut out = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

/// Whether the error is a closed stdout (`povsim ... | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn load(source: &Source) -> Result<Scenario> {
    let s = source.load().map_err(|e| anyhow::Error::new(BadInput(e)))?;
    note_unreached(&s);
    Ok(s)
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
    out.write_all(s.to_toml()?.as_bytes())?;
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
    let dir = a.output.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs").join(format!("{}-{}", s.name, output::timestamp()))
    });
    output::check_target(&dir, a.output.force)?;
    let pool = pool(a.output.threads)?;
    check_memory(&[&s], pool.current_num_threads())?;
    announce(
        a.output.quiet,
        runner::household_years_per_replication(&s) * u64::from(s.params.simulation.replications),
        runner::memory_estimate(&s, pool.current_num_threads()),
        pool.current_num_threads(),
        "stops without writing",
    );
    let progress = Progress::new(a.output.quiet, "simulating");
    let result = pool.install(|| runner::run(&s, &progress));
    progress.finish();
    if result.cancelled {
        return Err(Interrupted(dir).into());
    }
    let tables = Tables::new(&s, &result);
    let household_years =
        runner::household_years_per_replication(&s) * u64::from(s.params.simulation.replications);
    let manifest = manifest(
        &s,
        command_line,
        pool.current_num_threads(),
        result.seconds,
        household_years,
    );
    let mut files = output::run_files("", &s, &tables, &manifest)?;
    // The tables are the results: they are written even if the charts cannot be.
    if !a.output.no_report
        && let Err(e) = crate::report::attach(&dir, &mut files)
    {
        eprintln!("warning: report.html not written: {e}");
    }
    output::write_dir(&dir, a.output.force, &files)?;
    if !a.output.quiet {
        let mut out = std::io::stdout().lock();
        print_summary(&mut out, &s, &tables)?;
        writeln!(out, "\n{}", wrote(&dir, &files))?;
    }
    Ok(())
}

fn bad(key: &str, value: impl ToString, flag: &str, rule: &str) -> anyhow::Error {
    anyhow::Error::new(BadInput(ScenarioError::OutOfRange {
        at: crate::scenario::Origin::flag(flag),
        key: key.into(),
        value: value.to_string(),
        rule: rule.into(),
    }))
}

fn compare(a: CompareArgs, command_line: &[String]) -> Result<()> {
    let study = match a.files.as_slice() {
        [] => CompareStudy::load(Path::new(compare::DEFAULT_STUDY)).map_err(BadInput)?,
        [one] if CompareStudy::is_study(one) => CompareStudy::load(one).map_err(BadInput)?,
        [_] => {
            return Err(bad(
                "files",
                a.files[0].display(),
                "povsim compare",
                "give a baseline and at least one variant (povsim compare BASELINE VARIANT...), or a study file",
            ));
        }
        [base, variants @ ..] => CompareStudy {
            name: "compare".into(),
            description: String::new(),
            baseline: base.clone(),
            variants: variants.to_vec(),
        },
    };
    let precision = match a.precision {
        None => None,
        Some(eps) if eps.is_finite() && eps > 0.0 => Some(Precision {
            epsilon: eps,
            max_replications: a.max_replications,
        }),
        Some(eps) => {
            return Err(bad(
                "precision",
                eps,
                "--precision",
                "the target half-width must be a number > 0",
            ));
        }
    };
    let overrides = a.sim.source(None).map_err(BadInput)?;
    let scenarios = study
        .scenarios(&overrides, a.independent)
        .map_err(BadInput)?;
    if let Some(p) = precision {
        let start = scenarios[0].params.simulation.replications;
        if p.max_replications < start.max(2) {
            return Err(bad(
                "max_replications",
                p.max_replications,
                "--max-replications",
                &format!(
                    "must be at least the starting replications ({}) and at least 2",
                    start.max(2)
                ),
            ));
        }
    }
    let dir = a.output.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs").join(format!("{}-{}", study.name, output::timestamp()))
    });
    output::check_target(&dir, a.output.force)?;
    let pool = pool(a.output.threads)?;
    check_memory(
        &scenarios.iter().collect::<Vec<_>>(),
        pool.current_num_threads(),
    )?;
    let threads = pool.current_num_threads();
    let reps = u64::from(
        precision.map_or(scenarios[0].params.simulation.replications, |p| {
            p.max_replications
        }),
    );
    announce(
        a.output.quiet,
        scenarios
            .iter()
            .map(runner::household_years_per_replication)
            .sum::<u64>()
            * reps,
        scenarios
            .iter()
            .map(|s| runner::memory_estimate(s, threads))
            .max()
            .unwrap_or(0),
        threads,
        "stops without writing",
    );
    scenarios.iter().for_each(note_unreached);
    let progress = Progress::new(a.output.quiet, "comparing");
    let result = pool.install(|| compare::run(scenarios, precision, a.independent, &progress));
    progress.finish();
    if CANCEL.load(Ordering::SeqCst) {
        return Err(Interrupted(dir).into());
    }
    let tables = result.tables();
    let rows = result.rows(&tables);
    let base = &result.arms[0].scenario;
    let sim = &base.params.simulation;
    let household_years: u64 = result
        .arms
        .iter()
        .map(|arm| {
            runner::household_years_per_replication(&arm.scenario) * arm.replications.len() as u64
        })
        .sum();
    let mut files = Vec::new();
    for (arm, t) in result.arms.iter().zip(&tables) {
        let manifest = manifest(
            &arm.scenario,
            command_line,
            pool.current_num_threads(),
            result.seconds,
            household_years,
        );
        files.extend(output::run_files(
            &format!("{}/", arm.scenario.name),
            &arm.scenario,
            t,
            &manifest,
        )?);
    }
    files.push(("comparison.csv".into(), compare::comparison_csv(&rows)?));
    let study_manifest = serde_json::json!({
        "povsim_version": env!("CARGO_PKG_VERSION"),
        "command_line": command_line,
        "study": study.name,
        "scenarios": result.arms.iter().map(|a| a.scenario.name.clone()).collect::<Vec<_>>(),
        "seed": sim.seed,
        "threads": pool.current_num_threads(),
        "households": sim.households,
        "years": sim.years,
        "replications": sim.replications,
        "precision": precision.map(|p| p.epsilon),
        "independent_seeds": result.independent,
        "precision_reached": result.precision_reached,
        "wall_seconds": result.seconds,
        "household_years_per_second": household_years as f64 / result.seconds.max(1e-9),
    });
    files.push((
        "manifest.json".into(),
        (serde_json::to_string_pretty(&study_manifest)? + "\n").into_bytes(),
    ));
    // The tables are the results: they are written even if the charts cannot be.
    if !a.output.no_report
        && let Err(e) = crate::report::attach(&dir, &mut files)
    {
        eprintln!("warning: report.html not written: {e}");
    }
    output::write_dir(&dir, a.output.force, &files)?;
    if !a.output.quiet {
        let mut out = std::io::stdout().lock();
        print_comparison(&mut out, &study, &result, &tables, &rows)?;
        writeln!(out, "\n{}", wrote(&dir, &files))?;
    }
    Ok(())
}

fn manifest(
    s: &Scenario,
    command_line: &[String],
    threads: usize,
    seconds: f64,
    household_years: u64,
) -> Manifest {
    let sim = &s.params.simulation;
    Manifest {
        povsim_version: env!("CARGO_PKG_VERSION").into(),
        command_line: command_line.to_vec(),
        scenario: s.name.clone(),
        seed: sim.seed,
        threads,
        households: sim.households,
        years: sim.years,
        burn_in_years: sim.burn_in_years,
        replications: sim.replications,
        wall_seconds: seconds,
        household_years_per_second: household_years as f64 / seconds.max(1e-9),
        events_not_reached: s.unreached.iter().map(not_reached).collect(),
    }
}

/// An event past the horizon, as the manifest and the note on stderr name it.
fn not_reached(e: &crate::scenario::Event) -> String {
    if e.description.is_empty() {
        format!("{}", e.year)
    } else {
        format!("{} ({})", e.year, e.description)
    }
}

/// One line on stderr for each event a shortened horizon does not reach.
fn note_unreached(s: &Scenario) {
    let sim = &s.params.simulation;
    for e in &s.unreached {
        eprintln!(
            "note: `{}`: the event of {} is past the horizon {}-{} that the command line sets: not reached",
            s.name,
            not_reached(e),
            sim.start_year,
            sim.start_year + sim.years as i32 - 1
        );
    }
}

fn find<'a>(rows: &'a [compare::Row], scenario: &str, metric: &str) -> Option<&'a compare::Row> {
    rows.iter()
        .find(|r| r.scenario == scenario && r.metric == metric)
}

fn print_comparison(
    out: &mut impl Write,
    study: &CompareStudy,
    c: &Comparison,
    tables: &[Tables],
    rows: &[compare::Row],
) -> std::io::Result<()> {
    let base = &c.arms[0].scenario;
    let sim = &base.params.simulation;
    writeln!(
        out,
        "{}: {} households x {} years ({}-{}) x {} replications, seed {}, {}",
        study.name,
        sim.households,
        sim.years,
        sim.start_year,
        sim.start_year + sim.years as i32 - 1,
        sim.replications,
        sim.seed,
        if c.independent {
            "independent seeds, unpaired intervals"
        } else {
            "common random numbers"
        }
    )?;
    if !study.description.is_empty() {
        writeln!(out, "{}", study.description)?;
    }
    if let Some(reached) = c.precision_reached {
        let hw = compare::half_width(&c.arms, c.independent);
        writeln!(
            out,
            "precision: widest 95% half-width of the return-rate difference {:.3} points after {} replications ({})",
            hw * 100.0,
            sim.replications,
            if reached {
                "target reached"
            } else {
                "limit reached before the target"
            }
        )?;
    }
    let base_rate = tables
        .first()
        .and_then(|t| t.summary_of(compare::RANK_METRIC));
    if let Some(b) = base_rate {
        let ci =
            b.ci.map(|(lo, hi)| format!(" (95% CI {:.2}% to {:.2}%)", lo * 100.0, hi * 100.0))
                .unwrap_or_default();
        writeln!(
            out,
            "baseline `{}`: return rate {:.2}% a year{ci}",
            base.name,
            b.mean * 100.0
        )?;
    }
    if let Some(g) = tables
        .first()
        .and_then(|t| t.summary_of(compare::REGISTERED_METRIC))
    {
        writeln!(
            out,
            "{:width$}  registered return rate {:.2}% a year",
            "",
            g.mean * 100.0,
            width = base.name.len() + 11
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<4} {:<18} {:>8} {:>28} {:>9} {:>22} {:>14} {:>12}",
        "rank",
        "scenario",
        "return",
        "change, points (95% CI)",
        "p",
        "registered (change)",
        "extra cost/yr",
        "averted/M CNY"
    )?;
    let mut ranked: Vec<&compare::Row> = rows
        .iter()
        .filter(|r| r.metric == compare::RANK_METRIC)
        .collect();
    ranked.sort_by(|a, b| {
        a.diff_mean
            .unwrap_or(0.0)
            .total_cmp(&b.diff_mean.unwrap_or(0.0))
    });
    for (i, r) in ranked.iter().enumerate() {
        let d = r.diff_mean.unwrap_or(0.0) * 100.0;
        let (ci, mark) = match r.ci {
            Some((lo, hi)) => (
                format!("{d:+.2} ({:+.2} to {:+.2})", lo * 100.0, hi * 100.0),
                if lo > 0.0 || hi < 0.0 { "*" } else { " " },
            ),
            None => (format!("{d:+.2}"), " "),
        };
        let p = match r.p_value {
            Some(p) if p < 0.001 => "<0.001".to_string(),
            Some(p) => format!("{p:.3}"),
            None => "-".into(),
        };
        let registered = find(rows, &r.scenario, compare::REGISTERED_METRIC)
            .map(|g| {
                format!(
                    "{:.2}% ({:+.2})",
                    g.scenario_mean.unwrap_or(0.0) * 100.0,
                    g.diff_mean.unwrap_or(0.0) * 100.0
                )
            })
            .unwrap_or_else(|| "-".into());
        let cost = find(rows, &r.scenario, "cost_total")
            .and_then(|c| c.diff_mean)
            .map(|c| format!("{:+.2}M", c / 1e6))
            .unwrap_or_else(|| "-".into());
        let averted = find(rows, &r.scenario, "returns_averted_per_million")
            .and_then(|c| c.diff_mean)
            .map(|v| format!("{v:.1}"))
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<4} {:<18} {:>7.2}% {:>27}{} {:>9} {:>22} {:>14} {:>12}",
            i + 1,
            r.scenario,
            r.scenario_mean.unwrap_or(0.0) * 100.0,
            ci,
            mark,
            p,
            registered,
            cost,
            averted
        )?;
    }
    writeln!(
        out,
        "\nreturn: the survey measure, lifted households whose income falls below the line;\n  registered: the administrative measure, those the year-end review puts back on the\n  register (below the line after support, not rescued by monitoring in time).\n* the 95% interval of the difference excludes zero. Extra cost: program spending a year\n  against the baseline (CNY, simulated households); averted/M CNY: returns averted per million\n  CNY of extra spending over the horizon (for a variant that spends less and adds returns:\n  returns added per million CNY saved)."
    )?;
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
    let rows: [(&str, &str, f64, &str); 9] = [
        ("return_rate", "return rate (survey), per year", 100.0, "%"),
        (
            "registered_return_rate",
            "registered return rate, per year",
            100.0,
            "%",
        ),
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
