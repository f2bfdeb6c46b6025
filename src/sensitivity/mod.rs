//! Sweeps and sensitivity studies: many parameter points of one scenario, run on
//! common random numbers, written point by point into a study directory that
//! `--resume` completes.
//!
//! A study directory holds `plan.toml` (what to run), `scenario.toml` (the resolved
//! scenario), `design.csv` (the parameter values per point), `points/NNNNNN.csv` (each
//! point's metrics, written atomically as it finishes) and, once every point is done,
//! the tables (`results.csv`, `indices.csv` or `sweep.csv`). A point's numbers depend
//! only on the plan and its index, so a resumed study's files are byte-identical to an
//! uninterrupted one's.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::design::{self, Factor};
use crate::output::OutputError;
use crate::output::{Csv, STATS_HEADER, io, stats_record, write_atomic};
use crate::runner::{self, Observer};
use crate::scenario::{Origin, Scenario, ScenarioError, Source};
use crate::stats;

/// How points are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A full-factorial grid of given values.
    Sweep,
    /// A Latin hypercube sample.
    Lhs,
    /// Morris trajectories.
    Morris,
    /// Saltelli's design for Sobol indices.
    Sobol,
}

impl Method {
    /// The index a study of this method ranks its factors by (`indices.csv`'s
    /// `index` column); a sweep has none.
    pub fn primary_index(self) -> Option<&'static str> {
        match self {
            Method::Sobol => Some("ST"),
            Method::Morris => Some("mu_star"),
            Method::Lhs => Some("src"),
            Method::Sweep => None,
        }
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Sweep => "sweep",
            Method::Lhs => "lhs",
            Method::Morris => "morris",
            Method::Sobol => "sobol",
        }
    }
}

/// One sensitivity index of a finished study: a row of `indices.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// The factor's key.
    pub factor: String,
    /// The method's name.
    pub method: &'static str,
    /// The index: `src`, `rank_correlation`, `mu`, `mu_star`, `sigma`, `S1` or `ST`.
    pub index: &'static str,
    /// Its value.
    pub value: f64,
    /// Its 95% bootstrap interval, where the method gives one (Sobol).
    pub ci: Option<(f64, f64)>,
}

/// What [`Study::finish`] wrote and found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The files written into the study directory.
    pub files: Vec<String>,
    /// The indices (none for a sweep).
    pub indices: Vec<Index>,
}

/// A finished point's rows: each summary metric's name and its [`STATS_HEADER`]
/// fields, as the point file holds them.
type PointRows = Vec<(String, Vec<String>)>;

/// The columns of `sweep.csv` after the point and its factors.
const SWEEP_TAIL: [&str; 6] = ["metric", "mean", "sd", "ci_low", "ci_high", "n"];

/// `point`, the factors' keys, then `tail`.
fn point_header(keys: &[String], tail: &[&str]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(keys.iter().cloned());
    h.extend(tail.iter().map(|t| t.to_string()));
    h
}

/// Point `i`, its factors' values, then `tail`.
fn point_row(i: usize, values: &[f64], tail: &[String]) -> Vec<String> {
    let mut row = vec![i.to_string()];
    row.extend(values.iter().map(f64::to_string));
    row.extend(tail.iter().cloned());
    row
}

/// A swept parameter and its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Varied {
    /// Dotted scenario key.
    pub key: String,
    /// Values, in order.
    pub values: Vec<f64>,
}

/// Everything that defines a study; saved as `plan.toml` for `--resume`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The method.
    pub method: Method,
    /// Summary metric the indices are computed on.
    pub metric: String,
    /// Samples: LHS points, Morris trajectories or Sobol base rows.
    pub samples: usize,
    /// Seed of the design (the scenario's seed).
    pub seed: u64,
    /// Sweep values (sweeps only).
    #[serde(default)]
    pub varied: Vec<Varied>,
    /// Factors with distributions (sensitivity only), the dummy last if any.
    #[serde(default)]
    pub factors: Vec<FactorSpec>,
}

/// A factor as saved in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorSpec {
    /// Key.
    pub key: String,
    /// Distribution as TOML, for the record and for resume.
    pub distribution: toml::Table,
}

impl FactorSpec {
    /// The factor as a plan saves it.
    pub fn of(f: &Factor) -> Result<FactorSpec, OutputError> {
        let mut distribution = toml::Table::try_from(f).map_err(|e| OutputError::Serialize {
            what: format!("factor `{}` in plan.toml", f.key),
            message: e.to_string(),
        })?;
        distribution.remove("key");
        Ok(FactorSpec {
            key: f.key.clone(),
            distribution,
        })
    }

    /// The factor back from a plan.
    pub fn factor(&self) -> Result<Factor, ScenarioError> {
        let mut t = self.distribution.clone();
        t.insert("key".into(), toml::Value::String(self.key.clone()));
        toml::Value::Table(t)
            .try_into::<Factor>()
            .map_err(|e| ScenarioError::Syntax {
                at: Origin::flag("plan.toml"),
                message: e.to_string(),
            })
    }
}

/// Write a study's or a calibration's `plan.toml` into `dir`: last, so that a
/// directory with a plan is ready to run or resume.
pub fn write_plan(dir: &Path, plan: &impl Serialize) -> Result<(), OutputError> {
    let text = toml::to_string(plan).map_err(|e| OutputError::Serialize {
        what: dir.join("plan.toml").display().to_string(),
        message: e.to_string(),
    })?;
    write_atomic(&dir.join("plan.toml"), text)
}

/// Read the `plan.toml` of a study or calibration directory.
pub fn read_plan<T: serde::de::DeserializeOwned>(dir: &Path) -> Result<T, StudyError> {
    let plan_file = dir.join("plan.toml");
    if !plan_file.exists() {
        return Err(StudyError::NotAStudy(dir.to_path_buf()));
    }
    Ok(crate::scenario::read_typed(
        &plan_file,
        "written by povsim; do not edit",
    )?)
}

/// Points of a design, one row a point.
pub type Points = Vec<Vec<f64>>;

/// Morris grid levels.
const MORRIS_LEVELS: usize = 4;
/// Bootstrap resamples for Sobol intervals.
const BOOTSTRAP: usize = 500;

/// The factors file: `[[factor]]` entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorsFile {
    factor: Vec<Factor>,
}

/// Read a factors file.
pub fn load_factors(path: &Path) -> Result<Vec<Factor>, ScenarioError> {
    let file: FactorsFile =
        crate::scenario::read_typed(path, "a factor has key, distribution and its bounds")?;
    for f in &file.factor {
        f.check().map_err(|rule| ScenarioError::OutOfRange {
            at: Origin::flag(path.display().to_string()),
            key: f.key.clone(),
            value: "distribution".into(),
            rule,
        })?;
    }
    Ok(file.factor)
}

/// Parse `--vary key=lo:hi:n` or `--vary key=v1,v2,v3`.
pub fn parse_vary(arg: &str) -> Result<Varied, ScenarioError> {
    let bad = |rule: &str| ScenarioError::OutOfRange {
        at: Origin::flag("--vary"),
        key: arg.split('=').next().unwrap_or(arg).to_string(),
        value: arg.to_string(),
        rule: rule.into(),
    };
    let Some((key, spec)) = arg.split_once('=') else {
        return Err(bad("expected KEY=LO:HI:N or KEY=V1,V2,..."));
    };
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    let values = if spec.contains(':') {
        let parts: Vec<&str> = spec.split(':').collect();
        let (Some(lo), Some(hi), Some(n)) = (
            parts.first().and_then(|s| num(s)),
            parts.get(1).and_then(|s| num(s)),
            parts.get(2).and_then(|s| s.trim().parse::<usize>().ok()),
        ) else {
            return Err(bad(
                "expected LO:HI:N with numbers LO, HI and a whole number N >= 1",
            ));
        };
        if parts.len() != 3 || n == 0 || n > 10_000 {
            return Err(bad("expected LO:HI:N with 1 <= N <= 10000"));
        }
        design::sweep_values(lo, hi, n)
    } else {
        let v: Option<Vec<f64>> = spec.split(',').map(num).collect();
        v.filter(|v| !v.is_empty())
            .ok_or_else(|| bad("expected a list of numbers V1,V2,..."))?
    };
    Ok(Varied {
        key: key.trim().to_string(),
        values,
    })
}

impl Plan {
    /// The factors of a sensitivity plan.
    pub fn factors(&self) -> Result<Vec<Factor>, ScenarioError> {
        self.factors.iter().map(FactorSpec::factor).collect()
    }

    /// A sensitivity plan from factors.
    pub fn sensitivity(
        method: Method,
        metric: &str,
        samples: usize,
        seed: u64,
        factors: &[Factor],
    ) -> Result<Plan, OutputError> {
        let factors = factors
            .iter()
            .map(FactorSpec::of)
            .collect::<Result<_, _>>()?;
        Ok(Plan {
            method,
            metric: metric.into(),
            samples,
            seed,
            varied: Vec::new(),
            factors,
        })
    }

    /// Column names of the design.
    pub fn keys(&self) -> Vec<String> {
        if self.method == Method::Sweep {
            self.varied.iter().map(|v| v.key.clone()).collect()
        } else {
            self.factors.iter().map(|f| f.key.clone()).collect()
        }
    }

    /// Every point: the unit coordinates (none for sweeps) and parameter values.
    pub fn points(&self) -> Result<(Points, Points), ScenarioError> {
        if self.method == Method::Sweep {
            let vals: Vec<Vec<f64>> = self.varied.iter().map(|v| v.values.clone()).collect();
            return Ok((Vec::new(), design::full_factorial(&vals)));
        }
        let factors = self.factors()?;
        let k = factors.len();
        let n = self.samples.max(2);
        let unit = match self.method {
            Method::Lhs => design::latin_hypercube(n, k, self.seed),
            Method::Morris => design::morris(n, k, MORRIS_LEVELS, self.seed),
            Method::Sobol => design::saltelli(n, k, self.seed),
            Method::Sweep => unreachable!("handled above"),
        };
        let values = unit
            .iter()
            .map(|u| u.iter().zip(&factors).map(|(x, f)| f.value(*x)).collect())
            .collect();
        Ok((unit, values))
    }
}

/// The scenario of one point: the study's scenario with the point's values set.
fn point_scenario(base: &Path, keys: &[String], values: &[f64]) -> Result<Scenario, ScenarioError> {
    let mut src = Source::new(Some(base.to_path_buf()));
    for (k, v) in keys.iter().zip(values) {
        if k != design::DUMMY {
            src = src.flag(k, v, &format!("the study's value of {k}"));
        }
    }
    src.load()
}

/// The indices are computed on a summary metric: refuse any other name before a point
/// runs.
fn check_metric(metric: &str) -> Result<(), ScenarioError> {
    use crate::metrics::{PanelTally, YearTally};
    let names: Vec<String> =
        crate::metrics::summary(&[YearTally::default()], &PanelTally::default())
            .into_iter()
            .map(|(n, _)| n)
            .collect();
    if names.iter().any(|n| n == metric) {
        return Ok(());
    }
    let hint = crate::scenario::tree::closest(metric, names.iter().map(String::as_str))
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    Err(ScenarioError::OutOfRange {
        at: Origin::flag("--metric"),
        key: "metric".into(),
        value: metric.into(),
        rule: format!(
            "must be a summary metric such as return_rate or cumulative_return_prob{hint}"
        ),
    })
}

/// A study directory being run.
pub struct Study {
    /// The directory.
    pub dir: PathBuf,
    /// The plan.
    pub plan: Plan,
    /// The resolved scenario file inside the directory.
    pub scenario_file: PathBuf,
    /// The scenario (at the plan's base values).
    pub scenario: Scenario,
    /// Unit-cube coordinates of the points (empty for sweeps).
    unit: Points,
    /// Parameter values of the points, one row a point.
    values: Points,
}

/// Error of a study: bad input or a failed write.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// Bad input.
    #[error(transparent)]
    Input(#[from] ScenarioError),
    /// A write failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The directory is not a study.
    #[error("{}: not a study directory (no plan.toml); start a study with `povsim sweep` or `povsim sensitivity` and --out", .0.display())]
    NotAStudy(PathBuf),
}

impl Study {
    /// Start a new study in `dir`: check every point's scenario, then write the plan,
    /// the resolved scenario and the design.
    pub fn create(
        dir: &Path,
        force: bool,
        scenario: &Scenario,
        plan: Plan,
    ) -> Result<Study, StudyError> {
        check_metric(&plan.metric)?;
        let (_, values) = plan.points()?;
        let keys = plan.keys();
        // The study is built in a folder beside `dir` and renamed into place once whole:
        // a point that is not a valid scenario, or a full disk, leaves `dir` as it was.
        crate::output::replace_dir(dir, force, |staged: &Path| -> Result<(), StudyError> {
            fs::create_dir_all(staged.join("points")).map_err(io(staged))?;
            let scenario_file = staged.join("scenario.toml");
            write_atomic(&scenario_file, scenario.to_toml()?)?;
            // Every point must be a valid scenario before anything runs.
            for v in &values {
                point_scenario(&scenario_file, &keys, v)?;
            }
            let mut design = Csv::new("design.csv", point_header(&keys, &[]))?;
            for (i, v) in values.iter().enumerate() {
                design.row(point_row(i, v, &[]))?;
            }
            write_atomic(&staged.join("design.csv"), design.finish()?)?;
            write_plan(staged, &plan)?;
            Ok(())
        })?;
        Study::open(dir)
    }

    /// Open an existing study directory (for `--resume`).
    pub fn open(dir: &Path) -> Result<Study, StudyError> {
        let plan: Plan = read_plan(dir)?;
        let scenario_file = dir.join("scenario.toml");
        let scenario = Source::new(Some(scenario_file.clone())).load()?;
        let (unit, values) = plan.points()?;
        Ok(Study {
            dir: dir.to_path_buf(),
            plan,
            scenario_file,
            scenario,
            unit,
            values,
        })
    }

    fn point_file(&self, i: usize) -> PathBuf {
        self.dir.join("points").join(format!("{i:06}.csv"))
    }

    /// Points still to run.
    pub fn pending(&self) -> Vec<usize> {
        (0..self.values.len())
            .filter(|&i| !self.point_file(i).exists())
            .collect()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the study has no points.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Household-years of one point.
    pub fn household_years_per_point(&self) -> u64 {
        runner::household_years_per_replication(&self.scenario)
            * u64::from(self.scenario.params.simulation.replications)
    }

    /// Run every pending point, in parallel, writing each as it finishes. Returns the
    /// number of points run; stops early (leaving the rest pending) when the observer
    /// is cancelled.
    pub fn run(&self, observer: &dyn Observer) -> Result<usize, StudyError> {
        let values = &self.values;
        let keys = self.plan.keys();
        let pending = self.pending();
        let total = values.len();
        let done = std::sync::atomic::AtomicUsize::new(total - pending.len());
        let results: Vec<Result<bool, StudyError>> = pending
            .par_iter()
            .map(|&i| {
                if observer.cancelled() {
                    return Ok(false);
                }
                let s = point_scenario(&self.scenario_file, &keys, &values[i])?;
                let run = runner::run_quiet(&s, observer);
                if run.cancelled {
                    return Ok(false);
                }
                let tables = crate::output::Tables::new(&s, &run);
                let mut text = Csv::new(
                    format!("points/{i:06}.csv"),
                    ["point", "metric"].into_iter().chain(STATS_HEADER),
                )?;
                for (m, name) in tables.summary_names.iter().enumerate() {
                    let sm = stats::summarize(&tables.summary[m]);
                    let head = [i.to_string(), name.clone()];
                    text.row(head.into_iter().chain(stats_record(&sm)))?;
                }
                write_atomic(&self.point_file(i), text.finish()?)?;
                let now = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                observer.point_finished(now, total);
                Ok(true)
            })
            .collect();
        let mut done = 0;
        for r in results {
            done += usize::from(r?);
        }
        Ok(done)
    }

    /// Per point: each metric's name and its summary fields ([`STATS_HEADER`]), read
    /// back from `points/`.
    fn read_points(&self) -> Result<Vec<PointRows>, StudyError> {
        let n = self.len();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let path = self.point_file(i);
            let text = fs::read(&path).map_err(io(&path))?;
            let mut rows = Vec::new();
            for record in csv::Reader::from_reader(text.as_slice()).records() {
                let record = record.map_err(|e| OutputError::Serialize {
                    what: format!("{} (read back)", path.display()),
                    message: e.to_string(),
                })?;
                let mut fields = record.iter().skip(1).map(str::to_string);
                if let Some(metric) = fields.next() {
                    rows.push((metric, fields.collect()));
                }
            }
            out.push(rows);
        }
        Ok(out)
    }

    /// Write the final tables once every point is done: `results.csv`, and
    /// `sweep.csv` for a sweep or `indices.csv` for the other methods. Returns the
    /// files written and the indices.
    pub fn finish(&self) -> Result<Finished, StudyError> {
        let points = self.read_points()?;
        let (unit, values) = (&self.unit, &self.values);
        let keys = self.plan.keys();
        let mut files = Vec::new();
        let summary_header = ["point", "metric"].into_iter().chain(STATS_HEADER);
        let mut results = Csv::new("results.csv", summary_header)?;
        for (i, rows) in points.iter().enumerate() {
            for (metric, rest) in rows {
                let head = [i.to_string(), metric.clone()];
                results.row(head.into_iter().chain(rest.iter().cloned()))?;
            }
        }
        let metric_mean = |rows: &PointRows| -> Result<f64, StudyError> {
            rows.iter()
                .find(|(m, _)| *m == self.plan.metric)
                .and_then(|(_, rest)| rest.first()?.parse::<f64>().ok())
                .ok_or_else(|| {
                    StudyError::Input(ScenarioError::OutOfRange {
                        at: Origin::flag("--metric"),
                        key: "metric".into(),
                        value: self.plan.metric.clone(),
                        rule: "must be a summary metric, such as return_rate or cumulative_return_prob".into(),
                    })
                })
        };
        let mut indices = Vec::new();
        if self.plan.method == Method::Sweep {
            let mut sweep = Csv::new("sweep.csv", point_header(&keys, &SWEEP_TAIL))?;
            for (i, rows) in points.iter().enumerate() {
                for (metric, rest) in rows {
                    let tail: Vec<String> = std::iter::once(metric.clone())
                        .chain(rest.iter().cloned())
                        .collect();
                    sweep.row(point_row(i, &values[i], &tail))?;
                }
            }
            write_atomic(&self.dir.join("sweep.csv"), sweep.finish()?)?;
            files.push("sweep.csv".into());
        } else {
            let y: Vec<f64> = points.iter().map(metric_mean).collect::<Result<_, _>>()?;
            let k = keys.len();
            let method = self.plan.method.name();
            let mut index = |j: usize, name: &'static str, value: f64, ci: Option<(f64, f64)>| {
                indices.push(Index {
                    factor: keys[j].clone(),
                    method,
                    index: name,
                    value,
                    ci,
                });
            };
            match self.plan.method {
                Method::Lhs => {
                    for (j, (src, rank)) in design::regression_indices(values, &y)
                        .into_iter()
                        .enumerate()
                    {
                        index(j, "src", src, None);
                        index(j, "rank_correlation", rank, None);
                    }
                }
                Method::Morris => {
                    for (j, (mu, mu_star, sigma)) in
                        design::morris_indices(unit, &y, k).into_iter().enumerate()
                    {
                        index(j, "mu", mu, None);
                        index(j, "mu_star", mu_star, None);
                        index(j, "sigma", sigma, None);
                    }
                }
                Method::Sobol => {
                    let n = self.plan.samples.max(2);
                    let est = design::sobol_indices(&y, n, k);
                    let ci = design::sobol_bootstrap(&y, n, k, BOOTSTRAP, self.plan.seed);
                    for j in 0..k {
                        index(j, "S1", est[j].0, Some(ci[j].0));
                        index(j, "ST", est[j].1, Some(ci[j].1));
                    }
                }
                Method::Sweep => {}
            }
            let mut idx = Csv::new(
                "indices.csv",
                ["factor", "method", "index", "value", "ci_low", "ci_high"],
            )?;
            for x in &indices {
                let (lo, hi) = x.ci.map_or((String::new(), String::new()), |(lo, hi)| {
                    (lo.to_string(), hi.to_string())
                });
                idx.row([
                    x.factor.clone(),
                    x.method.to_string(),
                    x.index.to_string(),
                    x.value.to_string(),
                    lo,
                    hi,
                ])?;
            }
            write_atomic(&self.dir.join("indices.csv"), idx.finish()?)?;
            files.push("indices.csv".into());
        }
        write_atomic(&self.dir.join("results.csv"), results.finish()?)?;
        files.push("results.csv".into());
        Ok(Finished { files, indices })
    }
}
