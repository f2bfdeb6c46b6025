//! Comparing scenarios: studies, paired differences, cost-effectiveness and precision
//! targeting.
//!
//! Every scenario of a comparison runs with the baseline's seed, households, years and
//! replications, so replication `r` of each faces the same shocks (common random
//! numbers), and the difference of a metric is taken replication by replication.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::output::{Csv, Invocation, Manifest, OutputError, Tables};
use crate::runner::{self, Observer, Replication};
use crate::scenario::{self, Origin, Scenario, ScenarioError, Source};
use crate::stats;

/// The metric precision targeting and the ranking look at.
pub const RANK_METRIC: &str = "return_rate";

/// The administrative measure of return, reported beside [`RANK_METRIC`]: lifted
/// households the year-end review puts back on the register.
pub const REGISTERED_METRIC: &str = "registered_return_rate";

/// A study file: a baseline and its variants.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyFile {
    name: String,
    #[serde(default)]
    description: String,
    baseline: String,
    variants: Vec<String>,
}

/// A study: which scenarios to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// Name, used for the output folder.
    pub name: String,
    /// What it asks.
    pub description: String,
    /// The baseline scenario file.
    pub baseline: PathBuf,
    /// The variant scenario files.
    pub variants: Vec<PathBuf>,
}

/// The bundled Jingtai study.
pub const DEFAULT_STUDY: &str = "builtin:jingtai_study.toml";

impl Study {
    /// Read a study file; scenario paths are relative to it.
    pub fn load(path: &Path) -> Result<Study, ScenarioError> {
        let file: StudyFile = scenario::read_typed(
            path,
            "a study file has name, description, baseline and variants",
        )?;
        if file.variants.is_empty() {
            return Err(ScenarioError::OutOfRange {
                at: Origin::flag(path.display().to_string()),
                key: "variants".into(),
                value: "[]".into(),
                rule: "a study needs at least one variant to compare with the baseline".into(),
            });
        }
        Ok(Study {
            name: file.name,
            description: file.description,
            baseline: scenario::relative_to(path, &file.baseline),
            variants: file
                .variants
                .iter()
                .map(|v| scenario::relative_to(path, v))
                .collect(),
        })
    }

    /// Whether `path` is a study file rather than a scenario (it has `variants`).
    pub fn is_study(path: &Path) -> bool {
        scenario::read_text(path)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .is_some_and(|t| t.contains_key("variants"))
    }

    /// Load the scenarios: the baseline with `sim` overrides, then each variant with the
    /// same overrides and the baseline's seed and sizes. Duplicate names get a suffix.
    /// With `independent`, variant `k` gets seed `seed + k` instead: no common random
    /// numbers, to show what they save.
    pub fn scenarios(
        &self,
        overrides: &Source,
        independent: bool,
    ) -> Result<Vec<Scenario>, ScenarioError> {
        let with = |path: &Path| Source {
            path: Some(path.to_path_buf()),
            ..overrides.clone()
        };
        let base = with(&self.baseline).load()?;
        let sim = &base.params.simulation;
        let mut out = vec![base.clone()];
        for (k, v) in self.variants.iter().enumerate() {
            let seed = if independent {
                sim.seed.wrapping_add(k as u64 + 1)
            } else {
                sim.seed
            };
            let mut s = with(v)
                .flag("simulation.seed", seed, "the baseline's seed")
                .flag(
                    "simulation.households",
                    sim.households,
                    "the baseline's households",
                )
                .flag("simulation.years", sim.years, "the baseline's years")
                .flag(
                    "simulation.replications",
                    sim.replications,
                    "the baseline's replications",
                )
                .flag(
                    "simulation.start_year",
                    sim.start_year,
                    "the baseline's start year",
                )
                .flag(
                    "simulation.burn_in_years",
                    sim.burn_in_years,
                    "the baseline's burn-in",
                )
                .load()?;
            let mut k = 2;
            let stem = s.name.clone();
            while out.iter().any(|o| o.name == s.name) {
                s.name = format!("{stem}-{k}");
                k += 1;
            }
            out.push(s);
        }
        Ok(out)
    }
}

/// Stop adding replications once the 95% half-width of the return-rate difference of
/// every variant is below `epsilon`, or at `max_replications`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    /// Target half-width, in the metric's units (a rate: 0.001 is 0.1 points).
    pub epsilon: f64,
    /// Upper limit on replications.
    pub max_replications: u32,
}

/// One scenario's replications.
#[derive(Debug, Clone)]
pub struct Arm {
    /// The scenario (its replication count updated by precision targeting).
    pub scenario: Scenario,
    /// Replications in index order.
    pub replications: Vec<Replication>,
}

/// The result of a comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The baseline first, then the variants.
    pub arms: Vec<Arm>,
    /// Whether precision targeting reached its target (`None` without targeting).
    pub precision_reached: Option<bool>,
    /// Variants ran on their own seeds: differences are unpaired (Welch).
    pub independent: bool,
    /// Wall time (seconds).
    pub seconds: f64,
    /// The observer cancelled the run before it finished: the arms hold only the
    /// replications finished by then, and nothing should be written.
    pub cancelled: bool,
}

/// Run every scenario, adding batches of replications while precision requires.
pub fn run(
    scenarios: Vec<Scenario>,
    precision: Option<Precision>,
    independent: bool,
    observer: &dyn Observer,
) -> Comparison {
    let started = std::time::Instant::now();
    let first = scenarios
        .first()
        .map_or(0, |s| s.params.simulation.replications);
    let per_rep: u64 = scenarios
        .iter()
        .map(runner::household_years_per_replication)
        .sum();
    let mut done = 0u32;
    let mut target = first;
    let mut arms: Vec<Arm> = scenarios
        .into_iter()
        .map(|scenario| Arm {
            scenario,
            replications: Vec::new(),
        })
        .collect();
    let mut reached = None;
    loop {
        observer.started(per_rep * u64::from(target));
        observer.advanced(per_rep * u64::from(done));
        for arm in &mut arms {
            let more = runner::replications(&arm.scenario, done..target, observer);
            arm.replications.extend(more);
        }
        done = target;
        if observer.cancelled() {
            break;
        }
        let Some(p) = precision else { break };
        let ok = half_width(&arms, independent) < p.epsilon;
        reached = Some(ok);
        if ok || done >= p.max_replications {
            break;
        }
        target = (done + first.max(2)).min(p.max_replications);
    }
    for arm in &mut arms {
        arm.scenario.set_replications(done);
    }
    Comparison {
        arms,
        precision_reached: reached,
        independent,
        seconds: started.elapsed().as_secs_f64(),
        cancelled: observer.cancelled(),
    }
}

/// What a comparison's `manifest.json` records; each scenario's folder has its own
/// run manifest besides.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StudyManifest {
    /// povsim version.
    pub povsim_version: String,
    /// The command line.
    pub command_line: Vec<String>,
    /// The study's name.
    pub study: String,
    /// The baseline, then the variants.
    pub scenarios: Vec<String>,
    /// Master seed (the baseline's).
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Households per replication.
    pub households: u64,
    /// Recorded years.
    pub years: u32,
    /// Replications run.
    pub replications: u32,
    /// The target half-width of `--precision`, if any.
    pub precision: Option<f64>,
    /// Whether the variants ran on their own seeds.
    pub independent_seeds: bool,
    /// Whether precision targeting reached its target.
    pub precision_reached: Option<bool>,
    /// Wall time (seconds).
    pub wall_seconds: f64,
    /// Simulated household-years per second over every arm (burn-in included).
    pub household_years_per_second: f64,
}

/// A finished comparison's tables, rows and files: what `povsim compare` writes.
pub struct CompareOutput {
    /// Each arm's tables, the baseline first.
    pub tables: Vec<Tables>,
    /// The rows of `comparison.csv`.
    pub rows: Vec<Row>,
    /// Every file, with its name in the output folder: one folder per scenario with
    /// its run files, `comparison.csv` and `manifest.json`.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Comparison {
    /// Assemble the tables, rows and files of this comparison of `study`.
    pub fn output(
        &self,
        study: &Study,
        precision: Option<Precision>,
        how: &Invocation,
    ) -> Result<CompareOutput, OutputError> {
        let tables = self.tables();
        let rows = self.rows(&tables);
        let household_years: u64 = self
            .arms
            .iter()
            .map(|arm| {
                runner::household_years_per_replication(&arm.scenario)
                    * arm.replications.len() as u64
            })
            .sum();
        let mut files = Vec::new();
        for (arm, t) in self.arms.iter().zip(&tables) {
            let manifest = Manifest::new(&arm.scenario, how, self.seconds, household_years);
            files.extend(crate::output::run_files(
                &format!("{}/", arm.scenario.name),
                &arm.scenario,
                t,
                &manifest,
            )?);
        }
        files.push(("comparison.csv".into(), comparison_csv(&rows)?));
        if let Some(base) = self.arms.first() {
            let sim = &base.scenario.params.simulation;
            let manifest = StudyManifest {
                povsim_version: env!("CARGO_PKG_VERSION").into(),
                command_line: how.command_line.clone(),
                study: study.name.clone(),
                scenarios: self.arms.iter().map(|a| a.scenario.name.clone()).collect(),
                seed: sim.seed,
                threads: how.threads,
                households: sim.households,
                years: sim.years,
                replications: sim.replications,
                precision: precision.map(|p| p.epsilon),
                independent_seeds: self.independent,
                precision_reached: self.precision_reached,
                wall_seconds: self.seconds,
                household_years_per_second: household_years as f64 / self.seconds.max(1e-9),
            };
            files.push((
                "manifest.json".into(),
                crate::output::json_file("manifest.json", &manifest)?,
            ));
        }
        Ok(CompareOutput {
            tables,
            rows,
            files,
        })
    }
}

fn metric_values(arm: &Arm, metric: &str) -> Vec<f64> {
    replication_values(&arm.replications, metric)
}

/// Summary metric `metric` of each replication, in order (NaN if no such metric).
pub fn replication_values(replications: &[runner::Replication], metric: &str) -> Vec<f64> {
    replications
        .iter()
        .map(|r| {
            crate::metrics::summary(&r.years, &r.panel)
                .into_iter()
                .find(|(n, _)| n == metric)
                .map_or(f64::NAN, |(_, v)| v)
        })
        .collect()
}

/// The widest 95% half-width of the return-rate difference over the variants
/// (infinite with fewer than two replications).
pub fn half_width(arms: &[Arm], independent: bool) -> f64 {
    let Some(base) = arms.first() else {
        return f64::INFINITY;
    };
    let b = metric_values(base, RANK_METRIC);
    arms[1..]
        .iter()
        .map(|arm| {
            match difference(&b, &metric_values(arm, RANK_METRIC), independent)
                .diff
                .ci
            {
                Some((lo, hi)) => (hi - lo) / 2.0,
                None => f64::INFINITY,
            }
        })
        .fold(0.0, f64::max)
}

/// Paired difference, or Welch's unpaired one for independent seeds.
pub fn difference(base: &[f64], variant: &[f64], independent: bool) -> stats::Paired {
    if independent {
        stats::welch(base, variant)
    } else {
        stats::paired(base, variant)
    }
}

/// One row of `comparison.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Baseline name.
    pub baseline: String,
    /// Variant name.
    pub scenario: String,
    /// Metric name.
    pub metric: String,
    /// Baseline mean (none for ratio rows).
    pub base_mean: Option<f64>,
    /// Variant mean (none for ratio rows).
    pub scenario_mean: Option<f64>,
    /// Mean paired difference, or the ratio for cost-effectiveness rows.
    pub diff_mean: Option<f64>,
    /// 95% interval of `diff_mean`.
    pub ci: Option<(f64, f64)>,
    /// `diff_mean / base_mean`.
    pub rel_change: Option<f64>,
    /// Paired t-test p-value.
    pub p_value: Option<f64>,
    /// Replications.
    pub n: usize,
}

impl Comparison {
    /// Each arm's tables.
    pub fn tables(&self) -> Vec<Tables> {
        self.arms
            .iter()
            .map(|a| Tables::from_replications(&a.scenario, &a.replications))
            .collect()
    }

    /// Every row of `comparison.csv`: each summary metric (which include the yearly
    /// metrics averaged over years) as a paired difference, then the
    /// cost-effectiveness ratios.
    pub fn rows(&self, tables: &[Tables]) -> Vec<Row> {
        let mut rows = Vec::new();
        let Some(base) = tables.first() else {
            return rows;
        };
        for t in &tables[1..] {
            for (i, metric) in base.summary_names.iter().enumerate() {
                let Some(j) = t.summary_names.iter().position(|m| m == metric) else {
                    continue;
                };
                let (b, v) = (&base.summary[i], &t.summary[j]);
                let p = difference(b, v, self.independent);
                let bm = stats::summarize(b).mean;
                rows.push(Row {
                    baseline: base.scenario.clone(),
                    scenario: t.scenario.clone(),
                    metric: metric.clone(),
                    base_mean: Some(bm),
                    scenario_mean: Some(stats::summarize(v).mean),
                    diff_mean: Some(p.diff.mean),
                    ci: p.diff.ci,
                    rel_change: (bm != 0.0).then(|| p.diff.mean / bm),
                    p_value: p.p_value,
                    n: p.diff.n,
                });
            }
            let get = |t: &Tables, m: &str| {
                t.summary_names
                    .iter()
                    .position(|n| n == m)
                    .map(|i| t.summary[i].clone())
                    .unwrap_or_default()
            };
            let averted: Vec<f64> = get(base, "total_returns")
                .iter()
                .zip(get(t, "total_returns"))
                .map(|(b, v)| b - v)
                .collect();
            let extra: Vec<f64> = get(base, "total_cost")
                .iter()
                .zip(get(t, "total_cost"))
                .map(|(b, v)| v - b)
                .collect();
            let millions: Vec<f64> = extra.iter().map(|c| c / 1e6).collect();
            for (metric, ratio) in [
                (
                    "returns_averted_per_million",
                    stats::ratio_of_means(&averted, &millions),
                ),
                (
                    "cost_per_return_averted",
                    stats::ratio_of_means(&extra, &averted),
                ),
            ] {
                rows.push(Row {
                    baseline: base.scenario.clone(),
                    scenario: t.scenario.clone(),
                    metric: metric.into(),
                    base_mean: None,
                    scenario_mean: None,
                    diff_mean: ratio.map(|r| r.0),
                    ci: ratio.and_then(|r| r.1),
                    rel_change: None,
                    p_value: None,
                    n: averted.len(),
                });
            }
        }
        rows
    }
}

/// What a negative `returns_averted_per_million` means, which its sign alone does not
/// say: a variant that averts returns and spends less than the baseline `"dominates"`
/// it; one that adds returns and spends more is `"dominated"`. `None` for a ratio that
/// is not negative (returns averted per million spent, or added per million saved).
pub fn dominance(averted_per_million: f64, extra_cost: f64) -> Option<&'static str> {
    if averted_per_million.is_nan() || averted_per_million >= 0.0 || extra_cost == 0.0 {
        return None;
    }
    Some(if extra_cost < 0.0 {
        "dominates"
    } else {
        "dominated"
    })
}

/// `comparison.csv`, written through the `csv` crate so that a scenario named after a
/// file such as `strong, fast.toml` is quoted rather than splitting its row.
pub fn comparison_csv(rows: &[Row]) -> Result<Vec<u8>, OutputError> {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut table = Csv::new(
        "comparison.csv",
        [
            "baseline",
            "scenario",
            "metric",
            "base_mean",
            "scenario_mean",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
            "rel_change",
            "p_value",
            "n",
        ],
    )?;
    for r in rows {
        table.row([
            r.baseline.clone(),
            r.scenario.clone(),
            r.metric.clone(),
            opt(r.base_mean),
            opt(r.scenario_mean),
            opt(r.diff_mean),
            opt(r.ci.map(|c| c.0)),
            opt(r.ci.map(|c| c.1)),
            opt(r.rel_change),
            opt(r.p_value),
            r.n.to_string(),
        ])?;
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_ratio_says_which_way_it_is_negative() {
        // Fewer returns, less spending: 2 averted for 1 million saved.
        assert_eq!(dominance(2.0 / -1.0, -1e6), Some("dominates"));
        // More returns, more spending.
        assert_eq!(dominance(-2.0 / 1.0, 1e6), Some("dominated"));
        // Returns averted per million spent, and returns added per million saved.
        assert_eq!(dominance(2.0, 1e6), None);
        assert_eq!(dominance(-2.0 / -1.0, -1e6), None);
        assert_eq!(dominance(f64::NAN, 1e6), None);
        assert_eq!(dominance(-1.0, 0.0), None);
    }

    #[test]
    fn bundled_study_loads() {
        let st = Study::load(Path::new(DEFAULT_STUDY)).unwrap();
        assert_eq!(st.name, "jingtai_study");
        assert_eq!(st.variants.len(), 6);
        assert!(Study::is_study(Path::new(DEFAULT_STUDY)));
        assert!(!Study::is_study(Path::new("builtin:baseline.toml")));
    }
}
