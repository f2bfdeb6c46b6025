//! What the commands print on standard output: summary tables and where the files went.

use std::io::Write;
use std::path::Path;

use povsim::calibrate::{Calibration, Fit};
use povsim::compare::{self, Comparison, Study as CompareStudy};
use povsim::metrics::{Unit, registry};
use povsim::output::Tables;
use povsim::scenario::Scenario;
use povsim::sensitivity::{Finished, Method, Study};

/// Where the results went, pointing at the report when there is one.
pub fn wrote(dir: &Path, files: &[(String, Vec<u8>)]) -> String {
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

fn find<'a>(rows: &'a [compare::Row], scenario: &str, metric: &str) -> Option<&'a compare::Row> {
    rows.iter()
        .find(|r| r.scenario == scenario && r.metric == metric)
}

pub fn comparison(
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
        let extra = find(rows, &r.scenario, "cost_total").and_then(|c| c.diff_mean);
        let cost = extra
            .map(|c| format!("{:+.2}M", c / 1e6))
            .unwrap_or_else(|| "-".into());
        let averted = find(rows, &r.scenario, "returns_averted_per_million")
            .and_then(|c| c.diff_mean)
            .map(|v| match compare::dominance(v, extra.unwrap_or(0.0)) {
                Some(word) => word.to_string(),
                None => format!("{v:.1}"),
            })
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
        "\nreturn: the survey measure, lifted households whose income falls below the line;\n  registered: the administrative measure, those the year-end review puts back on the\n  register (below the line after support, not rescued by monitoring in time).\n* the 95% interval of the difference excludes zero. Extra cost: program spending a year\n  against the baseline (CNY, simulated households); averted/M CNY: returns averted per million\n  CNY of extra spending over the horizon (for a variant that spends less and adds returns:\n  returns added per million CNY saved; dominates: fewer returns at lower cost; dominated:\n  more returns at higher cost)."
    )?;
    Ok(())
}

pub fn summary(out: &mut impl Write, s: &Scenario, t: &Tables) -> std::io::Result<()> {
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
        "{:<38} {:>12} {:>25}",
        "metric", "mean", "95% interval"
    )?;
    let rows = [
        "return_rate",
        "registered_return_rate",
        "cumulative_return_prob",
        "new_poverty_rate",
        "headcount_rate",
        "monitored_share",
        "monitored",
        "missed",
        "mean_income_lifted",
        "cost_total",
        "total_cost",
    ];
    for metric in rows {
        let (Some(sm), Some(m)) = (t.summary_of(metric), registry::get(metric)) else {
            continue;
        };
        let interval = match sm.ci {
            Some((lo, hi)) => format!("{} to {}", fmt(lo, m.unit), fmt(hi, m.unit)),
            None => "-".into(),
        };
        let label = if m.unit == Unit::Cny {
            format!("{} (CNY)", m.label)
        } else if m.per_year {
            format!("{}, per year", m.label)
        } else {
            m.label.clone()
        };
        writeln!(
            out,
            "{:<38} {:>12} {:>25}",
            label,
            fmt(sm.mean, m.unit),
            interval
        )?;
    }
    Ok(())
}

/// A value as the terminal shows it, by its unit.
fn fmt(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Share => format!("{:.2}%", x * 100.0),
        _ if x.abs() >= 1e6 => format!("{:.2}M", x / 1e6),
        Unit::CnyPerPerson | Unit::CnyPerReturn => format!("{x:.0}"),
        Unit::Ratio => format!("{x:.3}"),
        _ => format!("{x:.1}"),
    }
}

/// A finished study: where its files went and, for sensitivity methods, the factors
/// ranked by the primary index.
pub fn study(
    out: &mut impl Write,
    study: &Study,
    finished: &Finished,
    files: &[String],
    ran: usize,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} points ({ran} run now), metric {}; wrote {} in {}",
        study.len(),
        study.plan.metric,
        files.join(", "),
        study.dir.display()
    )?;
    let Some(primary) = study.plan.method.primary_index() else {
        return Ok(());
    };
    let mut rows: Vec<_> = finished
        .indices
        .iter()
        .filter(|x| x.index == primary)
        .collect();
    rows.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    writeln!(
        out,
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
        writeln!(out, "{:<44} {:>10.4} {ci}", x.factor, x.value)?;
    }
    Ok(())
}

/// A finished calibration: its distance, each target against its simulated value, and
/// the fitted parameters.
pub fn calibration(out: &mut impl Write, cal: &Calibration, fit: &Fit) -> std::io::Result<()> {
    writeln!(
        out,
        "calibrated {} over {} evaluations: distance {:.3}; wrote {} in {}",
        cal.plan.scenario,
        cal.evaluations_done(),
        fit.distance,
        fit.files.join(", "),
        cal.dir.display()
    )?;
    writeln!(
        out,
        "{:<28} {:>8} {:>12} {:>10} {:>26}  met",
        "target", "role", "published", "tolerance", "simulated (95% CI)"
    )?;
    for row in &fit.rows {
        let (t, sim) = (&row.target, &row.simulated);
        writeln!(
            out,
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
        writeln!(out, "{} = {v:.6}{edge}", f.key)?;
    }
    Ok(())
}
