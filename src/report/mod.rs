//! Charts and `report.html` for an output directory, built from its files alone.
//!
//! The CSV, JSON and TOML files that `run`, `compare`, `sweep` and `sensitivity` write
//! are the contract: [`build`] reads nothing else, so `povsim report DIR` on a copy of a
//! directory gives the report the command itself wrote. The CSV files are required; the
//! manifest and the resolved scenarios add the run's settings and parameter
//! differences when they are there.
//!
//! | directory holds | report |
//! |---|---|
//! | `comparison.csv` and one folder per scenario | comparison: forest plot, lines per scenario |
//! | `sweep.csv` | sweep: response curves |
//! | `indices.csv` | sensitivity: Morris, Sobol or LHS bars, tornado style |
//! | `yearly.csv` | one run |

mod charts;
mod html;
mod read;

use std::fs;

use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub use charts::{Chart, ChartError, Kind, Line, Row, Unit};
pub use html::{document, esc};
pub use read::{Files, RunData, Stat};

use read::{CompareRow, IndexRow, SweepData};

use crate::metrics::Unit as MetricUnit;
use crate::metrics::registry;

/// Errors of building a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file does not have the expected content.
    #[error("{file}: {message}")]
    Format {
        /// The file, relative to the directory.
        file: String,
        /// What is wrong, and where.
        message: String,
    },
    /// No output files at all.
    #[error(
        "{} holds no povsim outputs (yearly.csv, comparison.csv, sweep.csv or indices.csv); give the directory a run, compare, sweep or sensitivity command wrote",
        .0.display()
    )]
    NotOutputs(PathBuf),
    /// A sweep or sensitivity study whose points are not all done.
    #[error(
        "{} is a study that has not finished: `povsim {} --resume {}` completes it and writes the report",
        .0.display(), .1, .0.display()
    )]
    Unfinished(PathBuf, &'static str),
    /// Drawing failed.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] crate::output::OutputError),
}

/// What kind of output a directory holds, with its data.
enum Content {
    Run(RunData),
    Compare {
        arms: Vec<RunData>,
        rows: Vec<CompareRow>,
    },
    Sweep(SweepData),
    Sensitivity {
        method: String,
        indices: Vec<IndexRow>,
    },
}

/// Everything a report says, read from the files.
pub struct Report {
    content: Content,
    manifest: Option<serde_json::Value>,
    plan: Option<toml::Table>,
    scenario: Option<toml::Table>,
    charts: Vec<Chart>,
}

/// The file names of every chart of the report of `files`, plus `report.html`, with
/// their contents.
pub fn build(files: &Files) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let report = Report::read(files)?;
    let mut out = Vec::new();
    let mut svgs = Vec::new();
    // Charts are drawn in parallel; each is a pure function of its data.
    let drawn: Vec<(String, Vec<u8>)> = report
        .charts
        .par_iter()
        .map(|chart| Ok((chart.svg()?, chart.png()?)))
        .collect::<Result<_, ChartError>>()?;
    for (chart, (svg, png)) in report.charts.iter().zip(drawn) {
        out.push((format!("charts/{}.png", chart.name), png));
        out.push((
            format!("charts/{}.svg", chart.name),
            svg.clone().into_bytes(),
        ));
        svgs.push(svg);
    }
    out.push((
        "report.html".into(),
        html::page(&report, &svgs).into_bytes(),
    ));
    Ok(out)
}

/// Add the charts and `report.html` built from `files`, the files a command is about
/// to write into `dir`: the report reads only what the command writes. On an error
/// `files` are left as they were.
pub fn attach(dir: &Path, files: &mut Vec<(String, Vec<u8>)>) -> Result<(), ReportError> {
    let report = build(&Files::from_pairs(dir, files))?;
    files.extend(report);
    Ok(())
}

/// Build the report of the directory `dir` and write it there, each file atomically;
/// returns the names written.
pub fn write(dir: &Path) -> Result<Vec<String>, ReportError> {
    let files = Files::from_dir(dir)?;
    let built = build(&files)?;
    let mut names = Vec::new();
    for (name, bytes) in &built {
        let path = dir.join(name);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(|source| ReportError::Io {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        crate::output::write_atomic(&path, bytes)?;
        if !name.starts_with("charts/") {
            names.push(name.clone());
        }
    }
    names.push(format!(
        "charts/ ({} charts)",
        built.len().saturating_sub(1) / 2
    ));
    Ok(names)
}

impl Report {
    /// Read a report's data from `files`.
    pub fn read(files: &Files) -> Result<Report, ReportError> {
        let manifest = files.json("manifest.json")?;
        let plan = files.toml("plan.toml")?;
        let scenario = files.toml("scenario.toml")?;
        let content = if files.has("comparison.csv") {
            let rows = read::comparison(files)?;
            let mut names: Vec<String> = Vec::new();
            for r in &rows {
                for n in [&r.baseline, &r.scenario] {
                    if !names.contains(n) {
                        names.push(n.clone());
                    }
                }
            }
            let arms = names
                .iter()
                .map(|n| RunData::read(files, &format!("{n}/")))
                .collect::<Result<Vec<_>, _>>()?;
            Content::Compare { arms, rows }
        } else if files.has("sweep.csv") {
            Content::Sweep(read::sweep(files)?)
        } else if files.has("indices.csv") {
            let indices = read::indices(files)?;
            let method = indices
                .first()
                .map(|r| r.method.clone())
                .unwrap_or_default();
            Content::Sensitivity { method, indices }
        } else if files.has("yearly.csv") {
            Content::Run(RunData::read(files, "")?)
        } else if let Some(plan) = &plan {
            let command = match plan.get("method").and_then(|m| m.as_str()) {
                Some("sweep") => "sweep",
                _ => "sensitivity",
            };
            return Err(ReportError::Unfinished(files.dir.clone(), command));
        } else {
            return Err(ReportError::NotOutputs(files.dir.clone()));
        };
        let mut report = Report {
            content,
            manifest,
            plan,
            scenario,
            charts: Vec::new(),
        };
        report.charts = report.make_charts();
        Ok(report)
    }

    /// Whether a comparison ran each scenario with its own seed (`--independent`), as
    /// its manifest records; paired otherwise.
    fn independent(&self) -> bool {
        self.manifest
            .as_ref()
            .and_then(|m| m.get("independent_seeds"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    fn metric(&self) -> String {
        plan_metric(self.plan.as_ref())
    }

    fn make_charts(&self) -> Vec<Chart> {
        match &self.content {
            Content::Run(run) => {
                let arms = std::slice::from_ref(run);
                let mut out = vec![
                    yearly_lines(arms, "return_rate"),
                    yearly_lines(arms, "cumulative_return_share"),
                    causes_by_year(run),
                    costs_by_year(run),
                ];
                out.retain(has_data);
                out
            }
            Content::Compare { arms, rows } => {
                let mut out = vec![
                    yearly_lines(arms, "return_rate"),
                    forest(rows, crate::compare::RANK_METRIC, self.independent()),
                    yearly_lines(arms, "cumulative_return_share"),
                    causes_by_scenario(arms),
                    costs_by_scenario(arms),
                ];
                if let Some(base) = arms.first() {
                    out.push(causes_by_year(base));
                }
                out.retain(has_data);
                out
            }
            Content::Sweep(sweep) => {
                let metric = self.metric();
                let mut out = vec![sweep_chart(sweep, &metric)];
                if metric != "cumulative_return_prob" {
                    out.push(sweep_chart(sweep, "cumulative_return_prob"));
                }
                if metric != "total_cost" {
                    out.push(sweep_chart(sweep, "total_cost"));
                }
                out.retain(has_data);
                out
            }
            Content::Sensitivity { method, indices } => {
                vec![tornado(method, indices, &self.metric())]
            }
        }
    }
}

fn plan_metric(plan: Option<&toml::Table>) -> String {
    plan.and_then(|p| p.get("metric"))
        .and_then(|m| m.as_str())
        .unwrap_or("return_rate")
        .to_string()
}

fn has_data(c: &Chart) -> bool {
    match &c.kind {
        Kind::Lines { lines, .. } => lines.iter().any(|l| !l.points.is_empty()),
        Kind::Stacked { layers, .. } | Kind::StackedRows { layers, .. } => {
            layers.iter().any(|l| l.1.iter().any(|v| *v > 0.0))
        }
        Kind::Intervals { rows, .. } => !rows.is_empty(),
    }
}

/// How a metric reads, from its declaration (`metrics::registry`): a title, an axis
/// title and a chart unit. Sums of money are charted in millions ([`scale`]).
pub fn describe(metric: &str) -> (String, String, Unit) {
    match registry::get(metric) {
        Some(m) => {
            let axis = match m.unit {
                MetricUnit::Cny => format!("{} (million CNY)", m.counts),
                MetricUnit::CnyPerPerson | MetricUnit::CnyPerReturn => {
                    format!("{} (CNY)", m.counts)
                }
                _ => m.counts.clone(),
            };
            let unit = if m.unit == MetricUnit::Share {
                Unit::Percent
            } else {
                Unit::Number
            };
            (capitalise(&m.label), axis, unit)
        }
        None => {
            let name = metric.replace('_', " ");
            (capitalise(&name), name, Unit::Number)
        }
    }
}

/// What a metric's values are multiplied by on a chart: sums of money in millions.
pub fn scale(metric: &str) -> f64 {
    if registry::unit(metric) == MetricUnit::Cny {
        1e-6
    } else {
        1.0
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn yearly_lines(arms: &[RunData], metric: &str) -> Chart {
    let (title, axis, unit) = describe(metric);
    let k = scale(metric);
    let lines = arms
        .iter()
        .map(|arm| Line {
            name: arm.name.clone(),
            points: arm
                .yearly_of(metric)
                .map(|(year, s)| {
                    (
                        f64::from(year),
                        s.mean * k,
                        s.ci().map(|(a, b)| (a * k, b * k)),
                    )
                })
                .collect(),
        })
        .collect();
    Chart {
        name: metric.to_string(),
        title: format!("{title} by year, with 95% intervals"),
        x_label: "Year".into(),
        y_label: axis,
        unit,
        kind: Kind::Lines {
            lines,
            x_integer: true,
        },
    }
}

fn causes_by_year(run: &RunData) -> Chart {
    let layers = run
        .cause_names()
        .into_iter()
        .map(|cause| {
            let values = run
                .years
                .iter()
                .map(|y| run.cause_returns(*y, &cause))
                .collect();
            (cause_label(&cause), values)
        })
        .collect();
    by_year(
        run,
        "causes_by_year",
        "Causes of return by year",
        "returning households (mean per replication)",
        layers,
    )
}

/// Stacked bars, one per year of `run`; `name` and `title` get the run's name.
fn by_year(
    run: &RunData,
    name: &str,
    title: &str,
    y_label: &str,
    layers: Vec<(String, Vec<f64>)>,
) -> Chart {
    Chart {
        name: format!("{name}_{}", run.name),
        title: format!("{title} ({})", run.name),
        x_label: "Year".into(),
        y_label: y_label.into(),
        unit: Unit::Number,
        kind: Kind::Stacked {
            categories: run.years.iter().map(|y| y.to_string()).collect(),
            layers,
        },
    }
}

fn causes_by_scenario(arms: &[RunData]) -> Chart {
    let causes = arms.first().map(|a| a.cause_names()).unwrap_or_default();
    let layers = causes
        .iter()
        .map(|cause| {
            let values = arms
                .iter()
                .map(|a| a.years.iter().map(|y| a.cause_returns(*y, cause)).sum())
                .collect();
            (cause_label(cause), values)
        })
        .collect();
    by_scenario(
        "causes_by_scenario",
        "Causes of return over the horizon, by scenario",
        "returning households over all years (mean per replication)",
        arms,
        layers,
    )
}

/// Stacked bars, one row per scenario.
fn by_scenario(
    name: &str,
    title: &str,
    x_label: &str,
    arms: &[RunData],
    layers: Vec<(String, Vec<f64>)>,
) -> Chart {
    Chart {
        name: name.into(),
        title: title.into(),
        x_label: x_label.into(),
        y_label: "scenario".into(),
        unit: Unit::Number,
        kind: Kind::StackedRows {
            categories: arms.iter().map(|a| a.name.clone()).collect(),
            layers,
        },
    }
}

/// The cost programs of a run, as (metric, label): the per-program cost metrics it
/// holds, without the totals and actors.
fn programs(run: &RunData) -> Vec<(String, &'static str)> {
    let names = run.yearly_names();
    registry::yearly()
        .iter()
        .filter_map(|m| match m.part {
            crate::metrics::Part::Program(p) if names.contains(&m.name) => {
                Some((m.name.clone(), p.label()))
            }
            _ => None,
        })
        .collect()
}

/// A cause's label, from the name `causes.csv` gives it.
fn cause_label(name: &str) -> String {
    crate::metrics::Cause::ALL
        .iter()
        .find(|c| c.name() == name)
        .map(|c| c.label().to_string())
        .unwrap_or_else(|| name.replace('_', " "))
}

fn costs_by_year(run: &RunData) -> Chart {
    let layers = programs(run)
        .into_iter()
        .map(|(m, label)| {
            let values = run.yearly_of(&m).map(|(_, s)| s.mean / 1e6).collect();
            (label.to_string(), values)
        })
        .filter(|(_, v): &(String, Vec<f64>)| v.iter().any(|x| *x > 0.0))
        .collect();
    by_year(
        run,
        "costs_by_year",
        "Public cost by program",
        "million CNY a year",
        layers,
    )
}

fn costs_by_scenario(arms: &[RunData]) -> Chart {
    let names = arms.first().map(programs).unwrap_or_default();
    let layers = names
        .into_iter()
        .map(|(m, label)| {
            let values = arms
                .iter()
                .map(|a| a.summary.get(&m).map(|s| s.mean / 1e6).unwrap_or(0.0))
                .collect();
            (label.to_string(), values)
        })
        .filter(|(_, v): &(String, Vec<f64>)| v.iter().any(|x| *x > 0.0))
        .collect();
    by_scenario(
        "costs_by_scenario",
        "Public cost by program, by scenario",
        "million CNY a year (mean over years)",
        arms,
        layers,
    )
}

fn forest(rows: &[CompareRow], metric: &str, independent: bool) -> Chart {
    let (title, _, unit) = describe(metric);
    let unit = if unit == Unit::Percent {
        Unit::Points
    } else {
        unit
    };
    let k = scale(metric);
    let rows = rows
        .iter()
        .filter(|r| r.metric == metric)
        .map(|r| Row {
            label: r.scenario.clone(),
            values: vec![Some((
                r.diff.mean * k,
                r.diff.ci().map(|(a, b)| (a * k, b * k)),
            ))],
        })
        .collect();
    let axis = if unit == Unit::Points {
        "difference from the baseline, percentage points".to_string()
    } else if k != 1.0 {
        "difference from the baseline, million CNY".to_string()
    } else {
        "difference from the baseline".to_string()
    };
    Chart {
        name: "forest".into(),
        title: format!("{title}: change against the baseline, with 95% intervals"),
        x_label: axis,
        y_label: "variant".into(),
        unit,
        kind: Kind::Intervals {
            rows,
            series: vec![if independent {
                "difference (independent)".into()
            } else {
                "difference (paired)".into()
            }],
            bars: false,
        },
    }
}

fn sweep_chart(sweep: &SweepData, metric: &str) -> Chart {
    let (title, axis, unit) = describe(metric);
    let scale = scale(metric);
    let x_key = sweep.keys.first().cloned().unwrap_or_default();
    let mut lines: Vec<Line> = Vec::new();
    for p in &sweep.points {
        let Some(s) = p.metrics.get(metric) else {
            continue;
        };
        let others: Vec<String> = sweep.keys[1..]
            .iter()
            .zip(&p.values[1..])
            .map(|(k, v)| format!("{} = {}", k.rsplit('.').next().unwrap_or(k), v))
            .collect();
        let name = if others.is_empty() {
            metric.to_string()
        } else {
            others.join(", ")
        };
        let x: f64 = p.values[0].parse().unwrap_or(f64::NAN);
        let point = (
            x,
            s.mean * scale,
            s.ci().map(|(a, b)| (a * scale, b * scale)),
        );
        match lines.iter_mut().find(|l| l.name == name) {
            Some(l) => l.points.push(point),
            None => lines.push(Line {
                name,
                points: vec![point],
            }),
        }
    }
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Chart {
        name: format!("sweep_{metric}"),
        title: format!("{title} against {}", short(&x_key)),
        x_label: x_key,
        y_label: axis,
        unit,
        kind: Kind::Lines {
            lines,
            x_integer: false,
        },
    }
}

/// The last part of a dotted key, with its table: `monitoring.detection_rate`.
fn short(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}

/// Which indices a method's chart shows, the first of which orders the factors.
fn shown_indices(method: &str) -> Vec<&'static str> {
    match method {
        "morris" => vec!["mu_star", "sigma"],
        "sobol" => vec!["ST", "S1"],
        _ => vec!["src", "rank_correlation"],
    }
}

fn tornado(method: &str, indices: &[IndexRow], metric: &str) -> Chart {
    let shown = shown_indices(method);
    let mut factors: Vec<String> = Vec::new();
    for r in indices {
        if !factors.contains(&r.factor) {
            factors.push(r.factor.clone());
        }
    }
    let value = |f: &str, index: &str| {
        indices
            .iter()
            .find(|r| r.factor == f && r.index == index)
            .map(|r| (r.stat.mean, r.stat.ci()))
    };
    let mut rows: Vec<Row> = factors
        .iter()
        .map(|f| Row {
            label: f.clone(),
            values: shown.iter().map(|i| value(f, i)).collect(),
        })
        .collect();
    let key = |r: &Row| r.values[0].map(|v| v.0.abs()).unwrap_or(0.0);
    rows.sort_by(|a, b| key(b).total_cmp(&key(a)));
    let (what, axis) = match method {
        "morris" => (
            "Morris elementary effects",
            format!("effect on {metric} across each factor's range"),
        ),
        "sobol" => (
            "Sobol indices",
            format!("share of the variance of {metric}"),
        ),
        _ => (
            "Latin hypercube regression",
            format!("standardised coefficient on {metric}"),
        ),
    };
    Chart {
        name: format!("{method}_indices"),
        title: format!("{what}: which assumptions matter most"),
        x_label: axis,
        y_label: "factor".into(),
        unit: Unit::Number,
        kind: Kind::Intervals {
            rows,
            series: shown.iter().map(|s| s.to_string()).collect(),
            bars: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keeps_the_table() {
        assert_eq!(
            short("policy.monitoring.detection_rate"),
            "monitoring.detection_rate"
        );
        assert_eq!(short("seed"), "seed");
    }

    fn stat(mean: f64, ci: Option<(f64, f64)>) -> Stat {
        Stat {
            mean,
            sd: None,
            ci_low: ci.map(|c| c.0),
            ci_high: ci.map(|c| c.1),
            n: 3,
        }
    }

    #[test]
    fn tornado_orders_factors_by_their_primary_index() {
        let row = |factor: &str, index: &str, v: f64| IndexRow {
            factor: factor.into(),
            method: "sobol".into(),
            index: index.into(),
            stat: stat(v, Some((v - 0.1, v + 0.1))),
        };
        let indices = vec![
            row("a", "S1", 0.9),
            row("a", "ST", 0.1),
            row("b", "S1", 0.0),
            row("b", "ST", 0.6),
            row("c", "S1", 0.2),
            row("c", "ST", -0.3),
        ];
        let chart = tornado("sobol", &indices, "return_rate");
        let Kind::Intervals { rows, series, bars } = chart.kind else {
            panic!("a tornado is an interval chart");
        };
        assert!(bars);
        assert_eq!(series, vec!["ST", "S1"]);
        let order: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(order, vec!["b", "c", "a"], "by |ST|, largest first");
        assert_eq!(rows[0].values[1], Some((0.0, Some((-0.1, 0.1)))));
    }

    #[test]
    fn sweep_draws_a_line_for_each_value_of_the_second_key() {
        let point = |i: usize, x: &str, y: &str, v: f64| read::SweepPoint {
            index: i,
            values: vec![x.into(), y.into()],
            metrics: std::collections::BTreeMap::from([("return_rate".to_string(), stat(v, None))]),
        };
        let sweep = SweepData {
            keys: vec!["a.x".into(), "b.y".into()],
            points: vec![
                point(0, "1", "10", 0.3),
                point(1, "1", "20", 0.4),
                point(2, "0.5", "10", 0.1),
                point(3, "0.5", "20", 0.2),
            ],
        };
        let chart = sweep_chart(&sweep, "return_rate");
        let Kind::Lines { lines, .. } = chart.kind else {
            panic!("a sweep is a line chart");
        };
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].name, "y = 10");
        let xs: Vec<f64> = lines[0].points.iter().map(|p| p.0).collect();
        assert_eq!(xs, vec![0.5, 1.0], "sorted along x");
        assert_eq!(lines[1].points[1].1, 0.4);
        assert_eq!(chart.x_label, "a.x");
    }

    #[test]
    fn describe_reads_the_registry() {
        assert_eq!(describe("return_rate").2, Unit::Percent);
        // Shares the old hand-written table missed.
        assert_eq!(describe("registered_return_rate").2, Unit::Percent);
        assert_eq!(describe("monitored_share_lifted").2, Unit::Percent);
        assert_eq!(describe("served").0, "Households given support");
        assert_eq!(describe("mean_income_lifted").2, Unit::Number);
        assert!(describe("cost_total").1.contains("million CNY"));
        assert_eq!(scale("cost_dibao"), 1e-6);
        assert_eq!(scale("returns"), 1.0);
        assert_eq!(describe("no_such_metric").0, "No such metric");
        assert_eq!(cause_label("job_loss"), "job loss");
    }
}
