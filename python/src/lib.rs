//! `povsim._povsim`: the povsim library for Python, under the package in
//! `python/pysrc/povsim`, which turns what these functions return (the files a command
//! would write, as bytes) into columns and dictionaries.
//!
//! Every run releases the GIL and runs on a thread pool built for that call and
//! dropped after it, never on rayon's global pool: EMA Workbench and `multiprocessing`
//! fork on Linux, and a global pool's threads do not survive into a forked child.
//! Errors become exceptions of `povsim.Error`'s family, with the library's messages
//! (which name the file, the line and the key).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use povsim::compare::{DEFAULT_STUDY, RANK_METRIC, Study as Comparison};
use povsim::output::{self, Invocation};
use povsim::runner::{self, Observer};
use povsim::scenario::{Scenario, Source};
use povsim::sensitivity::{self, Method, Plan, Study};

create_exception!(
    _povsim,
    Error,
    PyException,
    "Something povsim was asked to do cannot be done."
);
create_exception!(
    _povsim,
    ScenarioError,
    Error,
    "A scenario, study or factors file, or a `set` value, is wrong: the message names the file, line and key."
);
create_exception!(
    _povsim,
    StudyError,
    Error,
    "A study directory is not one, or is not complete."
);
create_exception!(_povsim, OutputError, Error, "A file could not be written.");

/// Turn a library error into its Python exception, with the same message.
trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

macro_rules! into_py {
    ($($ty:ty => $exc:ident),* $(,)?) => {$(
        impl<T> IntoPy<T> for Result<T, $ty> {
            fn py_err(self) -> PyResult<T> {
                self.map_err(|e| $exc::new_err(e.to_string()))
            }
        }
    )*};
}

into_py! {
    povsim::scenario::ScenarioError => ScenarioError,
    povsim::sensitivity::StudyError => StudyError,
    povsim::output::OutputError => OutputError,
    povsim::runner::MemoryError => Error,
    povsim::report::ReportError => OutputError,
}

/// The files a command writes, as (name, bytes) pairs.
type Files = Vec<(String, Py<PyBytes>)>;

fn to_py(py: Python<'_>, files: Vec<(String, Vec<u8>)>) -> Files {
    files
        .into_iter()
        .map(|(name, bytes)| (name, PyBytes::new(py, &bytes).unbind()))
        .collect()
}

/// What to simulate: a scenario (or the built-in baseline), `set` overrides
/// (`KEY=VALUE`, the value in TOML), and the sizes and seed.
#[derive(Default)]
struct Sim {
    sets: Vec<String>,
    households: Option<u64>,
    years: Option<u32>,
    replications: Option<u32>,
    seed: Option<u64>,
}

impl Sim {
    fn source(&self, path: Option<PathBuf>) -> PyResult<Source> {
        let mut source = Source::new(path);
        for arg in &self.sets {
            source = source.set_from(arg, "set=").py_err()?;
        }
        let sizes = [
            ("simulation.households", self.households, "households="),
            (
                "simulation.replications",
                self.replications.map(u64::from),
                "replications=",
            ),
            ("simulation.years", self.years.map(u64::from), "years="),
            ("simulation.seed", self.seed, "seed="),
        ];
        for (key, value, flag) in sizes {
            if let Some(v) = value {
                source = source.flag(key, v, flag);
            }
        }
        Ok(source)
    }
}

/// A thread pool for one call (`threads` workers, or one per core).
fn pool(threads: Option<usize>) -> PyResult<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(k) = threads {
        if k == 0 {
            return Err(Error::new_err(
                "threads=0: the number of threads must be at least 1",
            ));
        }
        b = b.num_threads(k);
    }
    b.build()
        .map_err(|e| Error::new_err(format!("cannot start worker threads: {e}")))
}

/// Cancels a run once Python has a pending signal (Ctrl-C).
struct Interrupt(AtomicBool);

impl Observer for Interrupt {
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Run `work` without the GIL, on a thread of its own, while this thread watches for
/// signals: Ctrl-C cancels the run (the library stops within a simulated year, and
/// nothing is half-written) and raises `KeyboardInterrupt`. Signals reach Python's
/// main thread only; on other threads `work` simply runs.
fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&dyn Observer) -> PyResult<T> + Send,
) -> PyResult<T> {
    let stop = Interrupt(AtomicBool::new(false));
    py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let stop = &stop;
            let worker = scope.spawn(move || {
                let out = work(stop);
                let _ = done.send(());
                out
            });
            let mut interrupted = None;
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                finished.recv_timeout(Duration::from_millis(100))
            {
                if interrupted.is_none()
                    && let Err(e) = Python::attach(|py| py.check_signals())
                {
                    stop.0.store(true, Ordering::Relaxed);
                    interrupted = Some(e);
                }
            }
            let out = worker
                .join()
                .map_err(|_| Error::new_err("the engine stopped on an internal error"))?;
            match interrupted {
                Some(e) => Err(e),
                None => out,
            }
        })
    })
}

fn check_memory(scenarios: &[&Scenario], threads: usize) -> PyResult<()> {
    runner::check_memory(scenarios, threads, runner::available_memory()).py_err()
}

/// Write `files` into `out` as the command line does: the report first (unless
/// `report` is false), then every file atomically; a run that cannot be written
/// leaves `out` as it was.
fn write_out(
    out: &Path,
    force: bool,
    report: bool,
    files: &mut Vec<(String, Vec<u8>)>,
) -> PyResult<()> {
    if report {
        povsim::report::attach(out, files).py_err()?;
    }
    output::write_dir(out, force, files).map_err(out_error)
}

/// An output error in Python's words: a folder that is in use names `out=` and
/// `force=True`, not the command line's flags.
fn out_error(e: output::OutputError) -> PyErr {
    match e {
        output::OutputError::NotEmpty(dir) => OutputError::new_err(in_use(&dir, "out=")),
        e => OutputError::new_err(e.to_string()),
    }
}

/// The message for a folder `dir`, given as argument `arg`, that already holds files.
fn in_use(dir: &Path, arg: &str) -> String {
    format!(
        "output directory {} exists and is not empty; choose another {arg} or pass force=True to replace it",
        dir.display()
    )
}

/// Check `out` and memory, then run `work` on a pool of `threads` without the GIL,
/// interruptible; `work` simulates and returns the files, or `None` when cancelled.
/// With `out`, the files are also written there (replacing what it holds only with
/// `force`).
#[allow(clippy::too_many_arguments)]
fn simulate(
    py: Python<'_>,
    scenarios: &[&Scenario],
    threads: Option<usize>,
    out: Option<&Path>,
    force: bool,
    report: bool,
    work: impl FnOnce(&dyn Observer, usize) -> PyResult<Option<Vec<(String, Vec<u8>)>>> + Send,
) -> PyResult<Files> {
    if let Some(dir) = out {
        output::check_target(dir, force).map_err(out_error)?;
    }
    let pool = pool(threads)?;
    let threads = pool.current_num_threads();
    check_memory(scenarios, threads)?;
    let files = interruptible(py, |observer| {
        let Some(mut files) = pool.install(|| work(observer, threads))? else {
            return Err(Error::new_err("interrupted: nothing was written"));
        };
        if let Some(dir) = out {
            write_out(dir, force, report, &mut files)?;
        }
        Ok(files)
    })?;
    Ok(to_py(py, files))
}

fn invocation(what: &str, threads: usize) -> Invocation {
    Invocation {
        command_line: vec![format!("python: povsim.{what}")],
        threads,
    }
}

/// Simulate a scenario: the files `povsim run` writes (tables, manifest, resolved
/// scenario), as (name, bytes) pairs; with `out`, also written there.
#[pyfunction]
#[pyo3(signature = (scenario=None, sets=Vec::new(), households=None, years=None, replications=None, seed=None, threads=None, out=None, report=true, force=false))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    scenario: Option<PathBuf>,
    sets: Vec<String>,
    households: Option<u64>,
    years: Option<u32>,
    replications: Option<u32>,
    seed: Option<u64>,
    threads: Option<usize>,
    out: Option<PathBuf>,
    report: bool,
    force: bool,
) -> PyResult<Files> {
    let sim = Sim {
        sets,
        households,
        years,
        replications,
        seed,
    };
    let s = sim.source(scenario)?.load().py_err()?;
    simulate(
        py,
        &[&s],
        threads,
        out.as_deref(),
        force,
        report,
        |observer, threads| {
            let result = runner::run(&s, observer);
            if result.cancelled {
                return Ok(None);
            }
            let made = output::run_output(&s, &result, &invocation("run", threads)).py_err()?;
            Ok(Some(made.files))
        },
    )
}

/// Compare a baseline with variants on common random numbers, as `povsim compare`:
/// no files for the bundled study, one study file, or a baseline and variants.
#[pyfunction]
#[pyo3(signature = (files=Vec::new(), sets=Vec::new(), households=None, years=None, replications=None, seed=None, threads=None, independent=false, out=None, report=true, force=false))]
#[allow(clippy::too_many_arguments)]
fn compare(
    py: Python<'_>,
    files: Vec<PathBuf>,
    sets: Vec<String>,
    households: Option<u64>,
    years: Option<u32>,
    replications: Option<u32>,
    seed: Option<u64>,
    threads: Option<usize>,
    independent: bool,
    out: Option<PathBuf>,
    report: bool,
    force: bool,
) -> PyResult<Files> {
    let study = match files.as_slice() {
        [] => Comparison::load(Path::new(DEFAULT_STUDY)).py_err()?,
        [one] if Comparison::is_study(one) => Comparison::load(one).py_err()?,
        [one] => {
            return Err(ScenarioError::new_err(format!(
                "{}: not a study file (it has no `variants`); give a baseline and at least one variant, or a study file",
                one.display()
            )));
        }
        [base, variants @ ..] => Comparison {
            name: "compare".into(),
            description: String::new(),
            baseline: base.clone(),
            variants: variants.to_vec(),
        },
    };
    let sim = Sim {
        sets,
        households,
        years,
        replications,
        seed,
    };
    let scenarios = study.scenarios(&sim.source(None)?, independent).py_err()?;
    let arms: Vec<&Scenario> = scenarios.iter().collect();
    simulate(
        py,
        &arms,
        threads,
        out.as_deref(),
        force,
        report,
        |observer, threads| {
            let result = povsim::compare::run(scenarios.clone(), None, independent, observer);
            if result.cancelled {
                return Ok(None);
            }
            let made = result
                .output(&study, None, &invocation("compare", threads))
                .py_err()?;
            Ok(Some(made.files))
        },
    )
}

/// The scenario checked and resolved, as `povsim validate` prints it (TOML).
#[pyfunction]
#[pyo3(signature = (scenario=None, sets=Vec::new()))]
fn validate(scenario: Option<PathBuf>, sets: Vec<String>) -> PyResult<String> {
    let sim = Sim {
        sets,
        ..Sim::default()
    };
    let s = sim.source(scenario)?.load().py_err()?;
    s.to_toml().py_err()
}

/// The factors of a factors file, as JSON: each with its key and distribution.
#[pyfunction]
fn factors(path: PathBuf) -> PyResult<String> {
    let factors = sensitivity::load_factors(&path).py_err()?;
    serde_json::to_string(&factors).map_err(|e| Error::new_err(e.to_string()))
}

/// The summary metrics every run reports, in the order of `summary.csv`.
#[pyfunction]
fn summary_metrics() -> Vec<String> {
    povsim::metrics::summary_names()
}

/// Every metric, as `povsim metrics` lists it: (name, table, unit, label, counts).
#[pyfunction]
fn metrics() -> Vec<(String, String, String, String, String)> {
    povsim::metrics::registry::all()
        .map(|m| {
            (
                m.name.clone(),
                m.scope().tables().to_string(),
                m.unit.name().to_string(),
                m.label.clone(),
                m.counts.clone(),
            )
        })
        .collect()
}

/// Prepare a sensitivity study in `dir` without running a point, as `povsim
/// sensitivity --prepare`.
#[pyfunction]
#[pyo3(signature = (dir, method="morris", samples=10, metric=None, factors=None, scenario=None, sets=Vec::new(), households=None, years=None, replications=None, seed=None, dummy=false, force=false))]
#[allow(clippy::too_many_arguments)]
fn study_prepare(
    dir: PathBuf,
    method: &str,
    samples: usize,
    metric: Option<String>,
    factors: Option<PathBuf>,
    scenario: Option<PathBuf>,
    sets: Vec<String>,
    households: Option<u64>,
    years: Option<u32>,
    replications: Option<u32>,
    seed: Option<u64>,
    dummy: bool,
    force: bool,
) -> PyResult<usize> {
    let method = match method {
        "lhs" => Method::Lhs,
        "morris" => Method::Morris,
        "sobol" => Method::Sobol,
        m => {
            return Err(Error::new_err(format!(
                "method={m:?}: must be \"lhs\", \"morris\" or \"sobol\""
            )));
        }
    };
    if !(2..=100_000).contains(&samples) {
        return Err(Error::new_err(format!(
            "samples={samples}: must be from 2 to 100000"
        )));
    }
    let path = factors.unwrap_or_else(|| PathBuf::from("builtin:factors.toml"));
    let mut factors = sensitivity::load_factors(&path).py_err()?;
    if dummy {
        factors.push(povsim::design::Factor::dummy());
    }
    let sim = Sim {
        sets,
        households,
        years,
        replications,
        seed,
    };
    let s = sim.source(scenario)?.load().py_err()?;
    let metric = metric.unwrap_or_else(|| RANK_METRIC.to_string());
    let plan =
        Plan::sensitivity(method, &metric, samples, s.params.simulation.seed, &factors).py_err()?;
    let study = Study::create(&dir, force, &s, plan).map_err(|e| match e {
        sensitivity::StudyError::Output(output::OutputError::NotEmpty(dir)) => {
            StudyError::new_err(in_use(&dir, "dir"))
        }
        e => StudyError::new_err(e.to_string()),
    })?;
    Ok(study.len())
}

/// A study directory: its number of points, the points still to run, and the command
/// that runs them.
#[pyfunction]
fn study_open(dir: PathBuf) -> PyResult<(usize, Vec<usize>, String)> {
    let study = Study::open(&dir).py_err()?;
    Ok((study.len(), study.pending(), study.resume_command()))
}

/// Run point `i` of the study in `dir` and write its point file; any process may run
/// any point, and the file is the same whichever does.
#[pyfunction]
#[pyo3(signature = (dir, point, threads=None))]
fn study_run_point(
    py: Python<'_>,
    dir: PathBuf,
    point: usize,
    threads: Option<usize>,
) -> PyResult<()> {
    let study = Study::open(&dir).py_err()?;
    if point >= study.len() {
        return Err(Error::new_err(format!(
            "point={point}: the study in {} has points 0 to {}",
            dir.display(),
            study.len().saturating_sub(1)
        )));
    }
    let pool = pool(threads)?;
    check_memory(&[&study.scenario], pool.current_num_threads())?;
    interruptible(py, |observer| {
        pool.install(|| study.run_points(&[point], 0, observer))
            .py_err()
    })?;
    Ok(())
}

/// Check that every point of the study in `dir` is done, then write its tables (and,
/// with `report`, its report), as `povsim merge`. Returns the files written.
#[pyfunction]
#[pyo3(signature = (dir, report=true))]
fn study_merge(dir: PathBuf, report: bool) -> PyResult<Vec<String>> {
    let study = Study::open(&dir).py_err()?;
    let mut files = study.finish().py_err()?.files;
    if report {
        files.extend(povsim::report::write(&dir).py_err()?);
    }
    Ok(files)
}

#[pymodule]
fn _povsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ScenarioError", py.get_type::<ScenarioError>())?;
    m.add("StudyError", py.get_type::<StudyError>())?;
    m.add("OutputError", py.get_type::<OutputError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(factors, m)?)?;
    m.add_function(wrap_pyfunction!(summary_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(metrics, m)?)?;
    m.add_function(wrap_pyfunction!(study_prepare, m)?)?;
    m.add_function(wrap_pyfunction!(study_open, m)?)?;
    m.add_function(wrap_pyfunction!(study_run_point, m)?)?;
    m.add_function(wrap_pyfunction!(study_merge, m)?)?;
    Ok(())
}
