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
    let names = crate::metrics::summary_names();
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
            "must be a summary metric such as return_rate or cumulative_return_prob (`povsim metrics` lists them){hint}"
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
    /// Digest of `plan.toml` and `scenario.toml`, written in every point file: a point
    /// file with another digest belongs to another study and is run again.
    digest: String,
    /// The summary metrics a point file holds, in order.
    metrics: Vec<String>,
}

/// One of `count` shards of a study's points: point `i` belongs to shard `i % count`
/// (0-based), so each shard gets points from all over the design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// `I/N`, I from 1 to N, as `--shard` reads it.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let rule = "give I/N with 1 <= I <= N, e.g. 3/8, or `slurm` inside a Slurm job array";
        let (i, n) = text.split_once('/').ok_or_else(|| rule.to_string())?;
        let (i, n): (usize, usize) = match (i.trim().parse(), n.trim().parse()) {
            (Ok(i), Ok(n)) => (i, n),
            _ => return Err(rule.into()),
        };
        if n == 0 || i == 0 || i > n {
            return Err(rule.into());
        }
        Ok(Shard {
            index: i - 1,
            count: n,
        })
    }

    /// The shard `--shard` names: `I/N`, or `slurm` for this task of a Slurm job
    /// array, whose variables `var` looks up.
    pub fn from_flag(text: &str, var: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        if text == "slurm" {
            Shard::from_slurm(var)
        } else {
            Shard::parse(text)
        }
    }

    /// The shard of this task of a Slurm job array, from the variables Slurm sets:
    /// `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`, and `SLURM_ARRAY_TASK_MIN` and
    /// `SLURM_ARRAY_TASK_STEP` (so `--array=0-7` and `--array=1-8` both work).
    pub fn from_slurm(var: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let get = |name: &str| -> Result<usize, String> {
            let v = var(name).ok_or_else(|| {
                format!("{name} is not set: `--shard slurm` runs inside a Slurm job array (sbatch --array)")
            })?;
            v.trim()
                .parse()
                .map_err(|_| format!("{name} = {v:?} is not a whole number"))
        };
        let id = get("SLURM_ARRAY_TASK_ID")?;
        let count = get("SLURM_ARRAY_TASK_COUNT")?;
        let min = get("SLURM_ARRAY_TASK_MIN").unwrap_or(0);
        let step = get("SLURM_ARRAY_TASK_STEP").unwrap_or(1).max(1);
        let index = id.checked_sub(min).map(|d| d / step).unwrap_or(usize::MAX);
        if count == 0 || index >= count {
            return Err(format!(
                "SLURM_ARRAY_TASK_ID {id} is not one of the {count} tasks from {min} in steps of {step}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether point `i` is this shard's.
    pub fn contains(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// Points as a short list of ranges: `0-3, 7, 9-10`.
pub fn ranges(points: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let mut j = i;
        while j + 1 < points.len() && points[j + 1] == points[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            points[i].to_string()
        } else {
            format!("{}-{}", points[i], points[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// FNV-1a over `parts`: a digest that is the same on every machine and every run.
fn digest(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so that moving bytes between parts changes the digest.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
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
    /// A point is missing or not whole, so the study cannot be merged.
    #[error("{}: {count} of {total} points are missing or not whole: {missing} ({why}); run them with `{command}` (or each shard with `--shard I/N`), then merge again", dir.display())]
    Incomplete {
        /// The study.
        dir: PathBuf,
        /// How many points are missing.
        count: usize,
        /// The study's points.
        total: usize,
        /// The points missing, as ranges.
        missing: String,
        /// The command that runs them.
        command: String,
        /// What is wrong with the first.
        why: String,
    },
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
        let plan_file = dir.join("plan.toml");
        let plan_text = fs::read(&plan_file).map_err(io(&plan_file))?;
        let scenario_text = fs::read(&scenario_file).map_err(io(&scenario_file))?;
        let metrics = crate::metrics::summary_names();
        Ok(Study {
            dir: dir.to_path_buf(),
            plan,
            scenario_file,
            scenario,
            unit,
            values,
            digest: digest(&[&plan_text, &scenario_text]),
            metrics,
        })
    }

    fn point_file(&self, i: usize) -> PathBuf {
        self.dir.join("points").join(format!("{i:06}.csv"))
    }

    /// Points still to run: those without a point file, and those whose file is not
    /// whole or not this study's (it must parse, be point i of this study by the
    /// digest, and hold every metric).
    pub fn pending(&self) -> Vec<usize> {
        (0..self.values.len())
            .filter(|&i| self.read_point(i).is_err())
            .collect()
    }

    /// The command that runs this study's pending points.
    pub fn resume_command(&self) -> String {
        let command = if self.plan.method == Method::Sweep {
            "sweep"
        } else {
            "sensitivity"
        };
        format!("povsim {command} --resume {}", self.dir.display())
    }

    /// Point `i`'s rows (each metric with its summary fields), if its file is whole and
    /// this study's: it parses, every row is point `i` with this study's digest, and it
    /// holds every summary metric, in order. Otherwise why not.
    fn read_point(&self, i: usize) -> Result<PointRows, String> {
        let path = self.point_file(i);
        let text = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut rows = Vec::new();
        for record in csv::Reader::from_reader(text.as_slice()).records() {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            let fields: Vec<&str> = record.iter().collect();
            let [point, metric, stats @ .., plan] = fields.as_slice() else {
                return Err(format!(
                    "{}: a row of {} fields",
                    path.display(),
                    fields.len()
                ));
            };
            if *point != i.to_string() || *plan != self.digest || stats.len() != STATS_HEADER.len()
            {
                return Err(format!("{}: not point {i} of this study", path.display()));
            }
            rows.push((
                metric.to_string(),
                stats.iter().map(|s| s.to_string()).collect(),
            ));
        }
        if !rows.iter().map(|(m, _)| m).eq(&self.metrics) {
            return Err(format!("{}: incomplete", path.display()));
        }
        Ok(rows)
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
        let pending = self.pending();
        self.run_points(&pending, self.len() - pending.len(), observer)
    }

    /// Run `points` (pending ones, such as a shard's), in parallel, writing each as it
    /// finishes; as [`Study::run`]. `done_before` is how many of the study's points were
    /// done before, for the observer's count.
    pub fn run_points(
        &self,
        pending: &[usize],
        done_before: usize,
        observer: &dyn Observer,
    ) -> Result<usize, StudyError> {
        let values = &self.values;
        let keys = self.plan.keys();
        let total = values.len();
        let done = std::sync::atomic::AtomicUsize::new(done_before);
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
                    ["point", "metric"]
                        .into_iter()
                        .chain(STATS_HEADER)
                        .chain(["plan"]),
                )?;
                for (m, name) in tables.summary_names.iter().enumerate() {
                    let sm = stats::summarize(&tables.summary[m]);
                    let head = [i.to_string(), name.clone()];
                    let tail = [self.digest.clone()];
                    text.row(head.into_iter().chain(stats_record(&sm)).chain(tail))?;
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
        (0..self.len())
            .map(|i| {
                self.read_point(i).map_err(|why| {
                    let missing = self.pending();
                    StudyError::Incomplete {
                        dir: self.dir.clone(),
                        count: missing.len(),
                        total: self.len(),
                        missing: ranges(&missing),
                        command: self.resume_command(),
                        why,
                    }
                })
            })
            .collect()
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

#[cfg(test)]
mod shard_tests {
    use super::*;

    #[test]
    fn shards_partition_the_points_and_read_slurm_arrays_from_0_or_1() {
        let shards: Vec<Shard> = (1..=3)
            .map(|i| Shard::parse(&format!("{i}/3")).unwrap())
            .collect();
        for p in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(p)).count(), 1, "{p}");
        }
        for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let one_based = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(
            Shard::from_slurm(one_based).unwrap(),
            Shard { index: 3, count: 4 }
        );
        let zero_based = env(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
        ]);
        assert_eq!(
            Shard::from_slurm(zero_based).unwrap(),
            Shard { index: 0, count: 4 }
        );
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "2"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ]);
        assert_eq!(
            Shard::from_slurm(stepped).unwrap(),
            Shard { index: 2, count: 3 }
        );
        assert!(Shard::from_slurm(env(&[])).is_err());
        assert!(
            Shard::from_slurm(env(&[
                ("SLURM_ARRAY_TASK_ID", "9"),
                ("SLURM_ARRAY_TASK_COUNT", "4")
            ]))
            .is_err()
        );
        assert_eq!(ranges(&[0, 1, 2, 3, 7, 9, 10]), "0-3, 7, 9-10");
    }
}
