//! Targets as data, and the fit of a scenario's free parameters to them.
//!
//! A targets file (`scenarios/targets.toml`) lists published figures: each names a
//! metric, the scenario and years it applies to, a value, a tolerance and its source.
//! [`Target::simulate`] reads a run's tables as the target reads the figure, one value
//! per replication. A [`Calibration`] directory fits a scenario to the targets that
//! name it: a Latin hypercube screen over the factors' ranges, then Nelder-Mead
//! (argmin's) from the best point, every evaluation on the scenario's seed (common
//! random numbers). Every evaluation is appended to `evaluations.csv` as it finishes;
//! a stopped fit resumes by replaying the same, deterministic, search from that file.

mod report;

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::design::{self, Factor};
use crate::output::{self, Csv, OutputError, Tables, io, write_atomic};
use crate::runner::{self, Observer};
use crate::scenario::{Origin, ScenarioError, Source};
use crate::sensitivity::{self, FactorSpec, StudyError};
use crate::stats;

/// How a target reads a metric over its years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// The mean over the target's years (or the whole-horizon summary, without years).
    #[default]
    Mean,
    /// Growth from the first to the last of the target's years: `last / first - 1`.
    Growth,
}

/// One published figure the model should reproduce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// A short name, unique in the file.
    pub name: String,
    /// The metric: a yearly metric when `years` are given, else a summary metric.
    pub metric: String,
    /// The scenario it applies to, by its `name`.
    pub scenario: String,
    /// Calendar years; empty for a whole-horizon summary metric.
    #[serde(default)]
    pub years: Vec<i32>,
    /// How the years are read.
    #[serde(default)]
    pub statistic: Statistic,
    /// The published value.
    pub value: f64,
    /// Half-width of the band within which the target is met.
    pub tolerance: f64,
    /// Where the figure comes from.
    pub source: String,
    /// S, M or A, as in the scenario files.
    pub confidence: String,
    /// Why the model does not meet this target yet; the targets test checks that the
    /// reason still holds (the target is missed), so the note cannot go stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_miss: Option<String>,
}

/// The simulated figure of a target: its mean over replications with the 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simulated {
    /// Mean over replications.
    pub mean: f64,
    /// 95% t-interval (equal to the mean with one replication).
    pub ci: (f64, f64),
}

impl Target {
    /// The target's figure in `tables`, one value per replication.
    pub fn per_replication(&self, tables: &Tables) -> Result<Vec<f64>, ScenarioError> {
        let unknown = |names: &[String], what: &str| {
            let hint =
                crate::scenario::tree::closest(&self.metric, names.iter().map(String::as_str))
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
            self.error(
                "metric",
                &self.metric,
                &format!("not a {what} metric{hint}"),
            )
        };
        if self.years.is_empty() {
            let m = tables
                .summary_names
                .iter()
                .position(|n| *n == self.metric)
                .ok_or_else(|| unknown(&tables.summary_names, "summary (whole-horizon)"))?;
            return Ok(tables.summary[m].clone());
        }
        let m = tables
            .yearly_names
            .iter()
            .position(|n| *n == self.metric)
            .ok_or_else(|| unknown(&tables.yearly_names, "yearly"))?;
        let mut columns = Vec::with_capacity(self.years.len());
        for &year in &self.years {
            let t = tables
                .years
                .iter()
                .position(|&y| y == year)
                .ok_or_else(|| {
                    self.error(
                        "years",
                        year,
                        &format!(
                            "outside the run's years {}-{}",
                            tables.years.first().copied().unwrap_or(0),
                            tables.years.last().copied().unwrap_or(0)
                        ),
                    )
                })?;
            columns.push(&tables.yearly[t][m]);
        }
        let reps = columns[0].len();
        Ok((0..reps)
            .map(|r| match self.statistic {
                Statistic::Mean => columns.iter().map(|c| c[r]).sum::<f64>() / columns.len() as f64,
                Statistic::Growth => {
                    let (first, last) = (columns[0][r], columns[columns.len() - 1][r]);
                    if first != 0.0 {
                        last / first - 1.0
                    } else {
                        0.0
                    }
                }
            })
            .collect())
    }

    /// The simulated figure in `tables`.
    pub fn simulate(&self, tables: &Tables) -> Result<Simulated, ScenarioError> {
        let s = stats::summarize(&self.per_replication(tables)?);
        Ok(Simulated {
            mean: s.mean,
            ci: s.ci.unwrap_or((s.mean, s.mean)),
        })
    }

    /// The miss in units of the tolerance: within [-1, 1] the target is met.
    pub fn miss(&self, simulated: f64) -> f64 {
        (simulated - self.value) / self.tolerance
    }

    /// Whether `simulated` meets the target.
    pub fn met(&self, simulated: f64) -> bool {
        self.miss(simulated).abs() <= 1.0
    }

    /// Whether the target's band, value +- tolerance, meets the simulated 95% interval:
    /// the model cannot be told from one that meets the target at this number of
    /// replications. A point estimate near an edge of the band falls on either side
    /// from seed to seed; this verdict does not.
    pub fn within_error(&self, simulated: &Simulated) -> bool {
        let (low, high) = simulated.ci;
        high >= self.value - self.tolerance && low <= self.value + self.tolerance
    }

    fn error(&self, field: &str, value: impl ToString, rule: &str) -> ScenarioError {
        ScenarioError::OutOfRange {
            at: Origin::flag("the targets file"),
            key: format!("target `{}`.{field}", self.name),
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    target: Vec<Target>,
}

/// Read a targets file: `[[target]]` entries with unique names and positive
/// tolerances.
pub fn load_targets(path: &Path) -> Result<Vec<Target>, ScenarioError> {
    let file: TargetsFile = crate::scenario::read_typed(
        path,
        "a target has name, metric, scenario, value, tolerance, source and confidence",
    )?;
    let at = || Origin::flag(path.display().to_string());
    let mut seen = std::collections::BTreeSet::new();
    for t in &file.target {
        let fail = |field: &str, value: String, rule: &str| ScenarioError::OutOfRange {
            at: at(),
            key: format!("target `{}`.{field}", t.name),
            value,
            rule: rule.into(),
        };
        if !seen.insert(t.name.clone()) {
            return Err(fail(
                "name",
                t.name.clone(),
                "each target needs its own name",
            ));
        }
        if !(t.tolerance.is_finite() && t.tolerance > 0.0) {
            return Err(fail(
                "tolerance",
                t.tolerance.to_string(),
                "a tolerance must be a positive number",
            ));
        }
        if !t.value.is_finite() {
            return Err(fail(
                "value",
                t.value.to_string(),
                "a value must be a finite number",
            ));
        }
        if t.statistic == Statistic::Growth && t.years.len() < 2 {
            return Err(fail(
                "years",
                format!("{:?}", t.years),
                "a growth target needs its first and last year",
            ));
        }
        if !["S", "M", "A"].contains(&t.confidence.as_str()) {
            return Err(fail(
                "confidence",
                format!("{:?}", t.confidence),
                "must be \"S\", \"M\" or \"A\", as in the scenario files",
            ));
        }
    }
    Ok(file.target)
}

/// What a calibration directory was asked to do, saved as `plan.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The scenario's name: the targets that name it are fitted.
    pub scenario: String,
    /// Targets reported as validation, not fitted (by name or metric).
    pub holdout: Vec<String>,
    /// Points of the Latin hypercube screen.
    pub samples: usize,
    /// Nelder-Mead evaluations after the screen.
    pub evaluations: usize,
    /// Seed of the screen's design.
    pub design_seed: u64,
    /// The factors and their ranges.
    pub factors: Vec<FactorSpec>,
}

/// A calibration directory being run.
pub struct Calibration {
    /// The directory.
    pub dir: PathBuf,
    /// The plan.
    pub plan: Plan,
    /// The factors.
    pub factors: Vec<Factor>,
    /// Every target of the file, for the report.
    pub targets: Vec<Target>,
    scenario_file: PathBuf,
    done: HashMap<Vec<u64>, f64>,
}

/// One target of a calibrated scenario with its simulated figure.
#[derive(Debug, Clone)]
pub struct FitRow {
    /// The target.
    pub target: Target,
    /// Its simulated figure.
    pub simulated: Simulated,
    /// Held out of the fit and reported as validation.
    pub holdout: bool,
}

impl FitRow {
    /// `fit` or `holdout`, as `fit.csv` names it.
    pub fn role(&self) -> &'static str {
        if self.holdout { "holdout" } else { "fit" }
    }

    /// Whether the simulated mean meets the target.
    pub fn met(&self) -> bool {
        self.target.met(self.simulated.mean)
    }
}

/// Whether unit coordinate `u` sits within 1% of an edge of its factor's range.
pub fn at_edge(u: f64) -> bool {
    u <= 0.01 || u >= 0.99
}

/// The result of a finished fit.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Fitted parameter values, in factor order.
    pub values: Vec<f64>,
    /// Keys of the fitted parameters within 1% of their range's edge.
    pub at_edge: Vec<String>,
    /// Every target of the scenario with its simulated figure.
    pub rows: Vec<FitRow>,
    /// The distance at the fitted values.
    pub distance: f64,
    /// Files written, relative to the directory.
    pub files: Vec<String>,
}

/// How far outside the unit box a point may go before the penalty dominates.
const BOX_PENALTY: f64 = 1.0e4;

impl Calibration {
    /// Start a calibration of `scenario_file` (with `flags` applied, `KEY=VALUE`) in
    /// `dir`: check the targets and factors, then write the plan and inputs.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        dir: &Path,
        force: bool,
        scenario: &crate::scenario::Scenario,
        targets_file: &Path,
        factors_file: &Path,
        holdout: Vec<String>,
        samples: usize,
        evaluations: usize,
    ) -> Result<Calibration, StudyError> {
        output::check_target(dir, force)?;
        let targets = load_targets(targets_file)?;
        let factors = sensitivity::load_factors(factors_file)?;
        if factors.is_empty() {
            return Err(ScenarioError::OutOfRange {
                at: Origin::flag(factors_file.display().to_string()),
                key: "factor".into(),
                value: "none".into(),
                rule: "a calibration needs at least one [[factor]] to fit".into(),
            }
            .into());
        }
        let mine: Vec<&Target> = targets
            .iter()
            .filter(|t| t.scenario == scenario.name)
            .collect();
        for h in &holdout {
            if !mine.iter().any(|t| t.name == *h || t.metric == *h) {
                return Err(ScenarioError::OutOfRange {
                    at: Origin::flag("--holdout"),
                    key: h.clone(),
                    value: h.clone(),
                    rule: format!(
                        "names no target of scenario `{}` in {}",
                        scenario.name,
                        targets_file.display()
                    ),
                }
                .into());
            }
        }
        if !mine.iter().any(|t| !held(t, &holdout)) {
            return Err(ScenarioError::OutOfRange {
                at: Origin::flag(targets_file.display().to_string()),
                key: "target.scenario".into(),
                value: format!("{:?}", scenario.name),
                rule: "no target left to fit for this scenario: give targets whose `scenario` is the scenario's name, and hold out fewer".into(),
            }
            .into());
        }
        // Every target must read the scenario's tables: check on a one-replication run
        // of a few households before anything is written.
        let mut probe = scenario.clone();
        probe.params.simulation.households = probe.params.simulation.households.min(200);
        probe.set_replications(1);
        let tables = Tables::new(&probe, &runner::run_quiet(&probe, &runner::Silent));
        for t in &mine {
            t.per_replication(&tables)?;
        }
        if dir.exists() {
            fs::remove_dir_all(dir).map_err(io(dir))?;
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        write_atomic(&dir.join("scenario.toml"), scenario.to_toml()?)?;
        let text = crate::scenario::read_text(targets_file)?;
        write_atomic(&dir.join("targets.toml"), text)?;
        let plan = Plan {
            scenario: scenario.name.clone(),
            holdout,
            samples,
            evaluations,
            design_seed: scenario.params.simulation.seed,
            factors: factors
                .iter()
                .map(FactorSpec::of)
                .collect::<Result<_, _>>()?,
        };
        sensitivity::write_plan(dir, &plan)?;
        Calibration::open(dir)
    }

    /// Open an existing calibration directory (for `--resume`).
    pub fn open(dir: &Path) -> Result<Calibration, StudyError> {
        let plan_file = dir.join("plan.toml");
        if !plan_file.exists() {
            return Err(StudyError::NotAStudy(dir.to_path_buf()));
        }
        let plan: Plan = crate::scenario::read_typed(&plan_file, "written by povsim; do not edit")?;
        let factors = plan
            .factors
            .iter()
            .map(|f| {
                let mut t = f.distribution.clone();
                t.insert("key".into(), toml::Value::String(f.key.clone()));
                toml::Value::Table(t)
                    .try_into::<Factor>()
                    .map_err(|e| ScenarioError::Syntax {
                        at: Origin::flag(plan_file.display().to_string()),
                        message: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let targets = load_targets(&dir.join("targets.toml"))?;
        let mut c = Calibration {
            dir: dir.to_path_buf(),
            plan,
            factors,
            targets,
            scenario_file: dir.join("scenario.toml"),
            done: HashMap::new(),
        };
        c.load_evaluations()?;
        Ok(c)
    }

    fn evaluations_file(&self) -> PathBuf {
        self.dir.join("evaluations.csv")
    }

    /// Read the evaluations done so far, dropping a line a stop cut short, and write
    /// the file back whole so that appending continues after a complete line.
    fn load_evaluations(&mut self) -> Result<(), StudyError> {
        let path = self.evaluations_file();
        let k = self.factors.len();
        let mut text = self.header()?;
        if let Ok(old) = fs::read_to_string(&path) {
            for line in old.lines().skip(1) {
                let fields: Vec<&str> = line.split(',').collect();
                if fields.len() != 2 * k + 1 || !old.contains(&format!("{line}\n")) {
                    continue;
                }
                let unit: Option<Vec<f64>> = fields[..k].iter().map(|f| f.parse().ok()).collect();
                let distance: Option<f64> = fields[2 * k].parse().ok();
                if let (Some(unit), Some(distance)) = (unit, distance) {
                    self.done.insert(key(&unit), distance);
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        write_atomic(&path, text)?;
        Ok(())
    }

    /// `evaluations.csv`'s header: the unit coordinates, the factors' values, the
    /// distance.
    fn header(&self) -> Result<String, OutputError> {
        let units = (0..self.factors.len()).map(|i| format!("u{i}"));
        let keys = self.factors.iter().map(|f| f.key.clone());
        let fields: Vec<String> = units.chain(keys).chain(["distance".into()]).collect();
        csv_line(&fields)
    }

    /// Evaluations recorded so far.
    pub fn evaluations_done(&self) -> usize {
        self.done.len()
    }

    /// The screen: the scenario as it stands (when every factor's value lies within
    /// its range), then the design's points, as unit coordinates. Starting from the
    /// scenario's own values means a fit never ends worse than where it began, and a
    /// calibrated scenario fitted again stays where it is unless the fit finds better.
    fn screen(&self) -> Result<Vec<Vec<f64>>, StudyError> {
        let s = Source::new(Some(self.scenario_file.clone())).load()?;
        let own: Option<Vec<f64>> = self
            .factors
            .iter()
            .map(|f| f.unit(s.number(&f.key)?))
            .collect();
        let mut points: Vec<Vec<f64>> = own.into_iter().collect();
        points.extend(design::latin_hypercube(
            self.plan.samples,
            self.factors.len(),
            self.plan.design_seed,
        ));
        Ok(points)
    }

    /// Evaluations planned in all: the screen's points and the fit's budget.
    pub fn evaluations_planned(&self) -> Result<usize, StudyError> {
        Ok(self.screen()?.len() + self.plan.evaluations)
    }

    /// Household-years of one evaluation.
    pub fn household_years_per_evaluation(&self) -> Result<u64, StudyError> {
        let s = Source::new(Some(self.scenario_file.clone())).load()?;
        Ok(runner::household_years_per_replication(&s)
            * u64::from(s.params.simulation.replications))
    }

    /// Every target of the scenario read from `tables`.
    fn rows(&self, tables: &Tables) -> Result<Vec<FitRow>, ScenarioError> {
        self.targets
            .iter()
            .filter(|t| t.scenario == self.plan.scenario)
            .map(|t| {
                Ok(FitRow {
                    target: t.clone(),
                    simulated: t.simulate(tables)?,
                    holdout: held(t, &self.plan.holdout),
                })
            })
            .collect()
    }

    /// The scenario at unit coordinates `unit` (clamped into the box).
    fn scenario_at(&self, unit: &[f64]) -> Result<crate::scenario::Scenario, ScenarioError> {
        let mut src = Source::new(Some(self.scenario_file.clone()));
        for (f, &u) in self.factors.iter().zip(unit) {
            src = src.flag(
                &f.key,
                f.value(u),
                &format!("the calibration's value of {}", f.key),
            );
        }
        src.load()
    }

    /// Run the scenario at `unit` and read its tables.
    fn tables_at(
        &self,
        unit: &[f64],
        observer: &dyn Observer,
    ) -> Result<Option<Tables>, StudyError> {
        let s = self.scenario_at(unit)?;
        let run = runner::run_quiet(&s, observer);
        if run.cancelled {
            return Ok(None);
        }
        Ok(Some(Tables::new(&s, &run)))
    }

    /// The distance at `unit`: from the record when evaluated before, else run and
    /// recorded. `None` when the observer stopped the run.
    fn distance(&self, unit: &[f64], observer: &dyn Observer) -> Result<Option<f64>, StudyError> {
        if let Some(&d) = self.done.get(&key(unit)) {
            return Ok(Some(d));
        }
        let Some(tables) = self.tables_at(unit, observer)? else {
            return Ok(None);
        };
        let d = distance(unit, &self.rows(&tables)?);
        Ok(Some(d))
    }

    fn record(&mut self, unit: &[f64], distance: f64) -> Result<(), StudyError> {
        if self.done.insert(key(unit), distance).is_some() {
            return Ok(());
        }
        // `{:?}` keeps every digit, so a resumed fit reads back the very point.
        let fields: Vec<String> = unit
            .iter()
            .map(|u| format!("{u:?}"))
            .chain(
                self.factors
                    .iter()
                    .zip(unit)
                    .map(|(f, &u)| format!("{:?}", f.value(u))),
            )
            .chain([format!("{distance:?}")])
            .collect();
        let line = csv_line(&fields)?;
        let path = self.evaluations_file();
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        file.write_all(line.as_bytes()).map_err(io(&path))?;
        Ok(())
    }

    /// Run the screen and the fit, resuming from the evaluations recorded. Returns
    /// `None` when the observer stopped it (everything evaluated is kept).
    pub fn run(&mut self, observer: &dyn Observer) -> Result<Option<Vec<f64>>, StudyError> {
        let k = self.factors.len();
        // The screen's points in parallel, each recorded in this order.
        let points = self.screen()?;
        let total = points.len() + self.plan.evaluations;
        let this = &*self;
        let screened: Vec<Result<Option<f64>, StudyError>> = points
            .par_iter()
            .map(|u| this.distance(u, observer))
            .collect();
        let mut best: Option<(Vec<f64>, f64)> = None;
        for (u, d) in points.iter().zip(screened) {
            let Some(d) = d? else { return Ok(None) };
            self.record(u, d)?;
            observer.point_finished(self.done.len().min(total), total);
            if best.as_ref().is_none_or(|(_, b)| d < *b) {
                best = Some((u.clone(), d));
            }
        }
        let start = best.map_or_else(|| vec![0.5; k], |(u, _)| u);
        // The fit: Nelder-Mead in the unit box from the best screened point.
        let step = 0.1;
        let mut simplex = vec![start.clone()];
        for i in 0..k {
            let mut v = start.clone();
            v[i] += if v[i] + step <= 1.0 { step } else { -step };
            simplex.push(v);
        }
        let budget = self.plan.evaluations;
        let problem = Problem {
            calibration: std::cell::RefCell::new(self),
            observer,
            screened: points.len(),
            budget,
            used: std::cell::Cell::new(0),
            stopped: std::cell::Cell::new(false),
            failure: std::cell::RefCell::new(None),
        };
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-4)
            .map_err(|e| optimiser(&e))?;
        let found = Executor::new(&problem, solver)
            .configure(|state| state.max_iters(budget as u64))
            .run()
            .ok()
            .and_then(|r| r.state().get_best_param().cloned());
        let Problem {
            calibration,
            stopped,
            failure,
            ..
        } = problem;
        if let Some(e) = failure.into_inner() {
            return Err(e);
        }
        if stopped.get() && observer.cancelled() {
            return Ok(None);
        }
        let this = calibration.into_inner();
        let mut best = found.unwrap_or_else(|| start.clone());
        // The best point recorded wins: an interrupted search keeps its best.
        let mut best_d = this.done.get(&key(&best)).copied().unwrap_or(f64::INFINITY);
        for (u, &d) in &this.done {
            let unit: Vec<f64> = u.iter().map(|b| f64::from_bits(*b)).collect();
            if d < best_d || (d == best_d && unit < best) {
                best_d = d;
                best = unit;
            }
        }
        Ok(Some(best))
    }

    /// Evaluate the fitted point at full detail and write the calibrated scenario,
    /// `fit.csv`, `parameters.csv` and the report.
    pub fn finish(&self, unit: &[f64]) -> Result<Fit, StudyError> {
        let s = self.scenario_at(unit)?;
        let tables = Tables::new(&s, &runner::run_quiet(&s, &runner::Silent));
        let rows = self.rows(&tables)?;
        let values: Vec<f64> = self
            .factors
            .iter()
            .zip(unit)
            .map(|(f, &u)| f.value(u))
            .collect();
        let at_edge: Vec<String> = self
            .factors
            .iter()
            .zip(unit)
            .filter(|(_, u)| at_edge(**u))
            .map(|(f, _)| f.key.clone())
            .collect();

        let mut fit = Csv::new(
            "fit.csv",
            [
                "target",
                "metric",
                "scenario",
                "years",
                "statistic",
                "role",
                "value",
                "tolerance",
                "simulated",
                "ci_low",
                "ci_high",
                "met",
                "source",
            ],
        )?;
        for row in &rows {
            let (t, sim) = (&row.target, &row.simulated);
            let years: Vec<String> = t.years.iter().map(i32::to_string).collect();
            fit.row([
                t.name.clone(),
                t.metric.clone(),
                t.scenario.clone(),
                years.join(" "),
                match t.statistic {
                    Statistic::Mean => "mean",
                    Statistic::Growth => "growth",
                }
                .to_string(),
                row.role().to_string(),
                t.value.to_string(),
                t.tolerance.to_string(),
                sim.mean.to_string(),
                sim.ci.0.to_string(),
                sim.ci.1.to_string(),
                row.met().to_string(),
                t.source.clone(),
            ])?;
        }
        let mut params = Csv::new(
            "parameters.csv",
            ["key", "low", "high", "fitted", "unit", "at_edge"],
        )?;
        for (f, &u) in self.factors.iter().zip(unit) {
            params.row([
                f.key.clone(),
                f.value(0.0).to_string(),
                f.value(1.0).to_string(),
                f.value(u).to_string(),
                u.clamp(0.0, 1.0).to_string(),
                at_edge.contains(&f.key).to_string(),
            ])?;
        }
        let mut files: Vec<(String, Vec<u8>)> = vec![
            ("calibrated.toml".into(), s.to_toml()?.into_bytes()),
            ("fit.csv".into(), fit.finish()?),
            ("parameters.csv".into(), params.finish()?),
        ];
        files.extend(report::calibration_report(
            &self.plan.scenario,
            &rows,
            &self.factors,
            unit,
        )?);
        for (name, bytes) in &files {
            let path = self.dir.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            write_atomic(&path, bytes)?;
        }
        Ok(Fit {
            values,
            at_edge,
            distance: distance(unit, &rows),
            rows,
            files: files.into_iter().map(|(n, _)| n).collect(),
        })
    }
}

/// The distance the fit minimises: the fitted targets' squared misses in tolerance
/// units, plus the penalty for leaving the unit box.
fn distance(unit: &[f64], rows: &[FitRow]) -> f64 {
    let misses: f64 = rows
        .iter()
        .filter(|r| !r.holdout)
        .map(|r| r.target.miss(r.simulated.mean).powi(2))
        .sum();
    penalty(unit) + misses
}

/// Whether a target is held out by name or metric.
fn held(t: &Target, holdout: &[String]) -> bool {
    holdout.iter().any(|h| *h == t.name || *h == t.metric)
}

/// The exact key of a point.
fn key(unit: &[f64]) -> Vec<u64> {
    unit.iter().map(|u| u.to_bits()).collect()
}

/// A quadratic penalty for leaving the unit box, so that the simplex turns back.
fn penalty(unit: &[f64]) -> f64 {
    unit.iter()
        .map(|&u| BOX_PENALTY * ((-u).max(0.0) + (u - 1.0).max(0.0)).powi(2))
        .sum()
}

fn optimiser(e: &argmin::core::Error) -> StudyError {
    StudyError::Input(ScenarioError::Syntax {
        at: Origin::flag("the optimiser"),
        message: e.to_string(),
    })
}

/// The cost function argmin calls: one evaluation of the calibration, recorded.
struct Problem<'a, 'c> {
    calibration: std::cell::RefCell<&'c mut Calibration>,
    observer: &'a dyn Observer,
    /// Points of the screen, evaluated before the fit.
    screened: usize,
    budget: usize,
    used: std::cell::Cell<usize>,
    stopped: std::cell::Cell<bool>,
    failure: std::cell::RefCell<Option<StudyError>>,
}

impl CostFunction for &Problem<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;

    /// Once the fit has stopped (its budget spent, Ctrl-C, a failed write or
    /// evaluation), every further cost is infinite and nothing is evaluated: argmin's
    /// Nelder-Mead unwraps the costs of its first simplex, so an error there would
    /// panic. The optimiser then runs out its few remaining iterations at once, and
    /// `run` reads why it stopped from `stopped` and `failure`.
    fn cost(&self, unit: &Self::Param) -> Result<f64, argmin::core::Error> {
        if self.stopped.get() || self.used.get() >= self.budget {
            self.stopped.set(true);
            return Ok(f64::INFINITY);
        }
        self.used.set(self.used.get() + 1);
        let mut c = self.calibration.borrow_mut();
        let total = self.screened + self.budget;
        let outcome = c
            .distance(unit, self.observer)
            .and_then(|d| d.map(|d| c.record(unit, d).map(|()| d)).transpose());
        match outcome {
            Ok(Some(d)) => {
                self.observer
                    .point_finished((self.screened + self.used.get()).min(total), total);
                Ok(d)
            }
            Ok(None) => {
                self.stopped.set(true);
                Ok(f64::INFINITY)
            }
            Err(e) => {
                *self.failure.borrow_mut() = Some(e);
                self.stopped.set(true);
                Ok(f64::INFINITY)
            }
        }
    }
}

/// One CSV line, newline included.
fn csv_line(fields: &[String]) -> Result<String, OutputError> {
    let line = Csv::new("evaluations.csv", fields)?.finish()?;
    String::from_utf8(line).map_err(|e| OutputError::Serialize {
        what: "evaluations.csv".into(),
        message: e.to_string(),
    })
}
