//! Every metric povsim reports, declared once: its name in the files, a label for
//! tables and charts, what it counts, its unit, and how a replication computes it.
//!
//! `yearly.csv`, `replications.csv` and `summary.csv` list these metrics in this order;
//! `comparison.csv` adds the [`Scope::Comparison`] ones. The terminal tables, the
//! report, sensitivity studies and `povsim calibrate` read names, labels and units from
//! here, and `povsim metrics` prints the list. A new metric is one entry below.

use std::sync::LazyLock;

use super::{PanelTally, Program, RiskGroup, YearTally};
use crate::population::Group;
use crate::scenario::params::Actor;

/// How a metric's values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share from 0 to 1, shown as a percentage.
    Share,
    /// Households, persons or events.
    Count,
    /// An index from 0 to 1 that is not a share of anything (the FGT gaps).
    Index,
    /// A ratio of two like quantities, which may exceed 1 (one group's income over
    /// another's).
    Ratio,
    /// A sum of money (CNY): tables in the report show millions.
    Cny,
    /// Income per person (CNY).
    CnyPerPerson,
    /// CNY per return averted.
    CnyPerReturn,
    /// Returns averted per million CNY.
    ReturnsPerMillionCny,
    /// Years.
    Years,
}

impl Unit {
    /// The unit as `povsim metrics` lists it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Share => "share",
            Unit::Count => "count",
            Unit::Index => "index",
            Unit::Ratio => "ratio",
            Unit::Cny => "CNY",
            Unit::CnyPerPerson => "CNY per person",
            Unit::CnyPerReturn => "CNY per return averted",
            Unit::ReturnsPerMillionCny => "returns averted per million CNY",
            Unit::Years => "years",
        }
    }
}

/// Which table a metric belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One value a replication-year (`yearly.csv`); `summary.csv` also holds its mean
    /// over the years.
    Yearly,
    /// One value a replication, over the whole horizon (`summary.csv` only).
    Horizon,
    /// A figure of a variant against the baseline (`comparison.csv` only).
    Comparison,
}

impl Scope {
    /// The tables that hold a metric of this scope, as `povsim metrics` lists them.
    pub fn tables(self) -> &'static str {
        match self {
            Scope::Yearly => "yearly, summary",
            Scope::Horizon => "summary",
            Scope::Comparison => "comparison",
        }
    }
}

/// What a metric of a family (one a group, program or actor) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A metric of its own.
    Whole,
    /// Identified or missed households of one monitored group.
    Group(RiskGroup),
    /// The cost of one program.
    Program(Program),
    /// The cost one actor bears.
    Actor(Actor),
    /// Poverty in one initial group of households.
    Initial(Group),
}

type YearFn = Box<dyn Fn(&YearTally) -> f64 + Send + Sync>;
type HorizonFn = fn(&[YearTally], &PanelTally) -> f64;

enum Value {
    Year(YearFn),
    Horizon(HorizonFn),
    /// Computed by `compare` from two arms.
    Comparison,
}

/// One metric's declaration.
pub struct Metric {
    /// The name in the files.
    pub name: String,
    /// A short lower-case label for tables: "registered return rate".
    pub label: String,
    /// What is counted, for a chart's axis: "lifted households put back on the
    /// register, per lifted household a year".
    pub counts: String,
    /// How values read.
    pub unit: Unit,
    /// The family member it is, if it is one.
    pub part: Part,
    /// A flow (events or a rate a year), whose summary is its mean a year; otherwise a
    /// stock or a level at the year's end.
    pub per_year: bool,
    value: Value,
}

impl Metric {
    fn of(mut self, part: Part) -> Metric {
        self.part = part;
        self
    }

    fn flow(mut self) -> Metric {
        self.per_year = true;
        self
    }

    /// Which table the metric belongs to.
    pub fn scope(&self) -> Scope {
        match self.value {
            Value::Year(_) => Scope::Yearly,
            Value::Horizon(_) => Scope::Horizon,
            Value::Comparison => Scope::Comparison,
        }
    }
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric")
            .field("name", &self.name)
            .field("unit", &self.unit)
            .field("scope", &self.scope())
            .finish()
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn metric(name: &str, label: &str, counts: &str, unit: Unit, value: Value) -> Metric {
    Metric {
        name: name.into(),
        label: label.into(),
        counts: counts.into(),
        unit,
        part: Part::Whole,
        per_year: false,
        value,
    }
}

fn yearly_metric(
    name: &str,
    label: &str,
    counts: &str,
    unit: Unit,
    f: impl Fn(&YearTally) -> f64 + Send + Sync + 'static,
) -> Metric {
    metric(name, label, counts, unit, Value::Year(Box::new(f)))
}

fn horizon_metric(name: &str, label: &str, counts: &str, unit: Unit, f: HorizonFn) -> Metric {
    metric(name, label, counts, unit, Value::Horizon(f))
}

fn comparison_metric(name: &str, label: &str, counts: &str, unit: Unit) -> Metric {
    metric(name, label, counts, unit, Value::Comparison)
}

/// The yearly metrics, in file order.
fn yearly_metrics() -> Vec<Metric> {
    use Unit::*;
    let mut m = vec![
        yearly_metric(
            "return_rate",
            "return rate (survey)",
            "lifted households falling below the line, per lifted household a year",
            Share,
            |t| ratio(t.returns as f64, t.lifted_at_risk as f64),
        )
        .flow(),
        yearly_metric(
            "registered_return_rate",
            "registered return rate",
            "lifted households put back on the register, per lifted household a year",
            Share,
            |t| ratio(t.registered_returns as f64, t.lifted_on_register as f64),
        )
        .flow(),
        yearly_metric(
            "returns",
            "returns (survey)",
            "lifted households falling below the line a year",
            Count,
            |t| t.returns as f64,
        )
        .flow(),
        yearly_metric(
            "registered_returns",
            "registered returns",
            "lifted households put back on the register a year",
            Count,
            |t| t.registered_returns as f64,
        )
        .flow(),
        yearly_metric(
            "returns_persons",
            "persons returning",
            "persons in lifted households falling below the line a year",
            Count,
            |t| t.returns_persons as f64,
        )
        .flow(),
        yearly_metric(
            "lifted_at_risk",
            "lifted households at risk",
            "registered households not poor the year before",
            Count,
            |t| t.lifted_at_risk as f64,
        ),
        yearly_metric(
            "new_poverty_rate",
            "new poverty rate",
            "never-registered households falling below the line, per such household a year",
            Share,
            |t| ratio(t.new_poor as f64, t.never_registered_at_risk as f64),
        )
        .flow(),
        yearly_metric(
            "new_poor",
            "newly poor",
            "never-registered households falling below the line a year",
            Count,
            |t| t.new_poor as f64,
        )
        .flow(),
        yearly_metric(
            "verified_new_poverty_rate",
            "verified new poverty rate",
            "never-registered households verified poor at the year-end review, per such household a year",
            Share,
            |t| ratio(t.verified_new_poor as f64, t.unregistered_not_poor as f64),
        )
        .flow(),
        yearly_metric(
            "verified_new_poor",
            "newly poor verified",
            "never-registered households verified poor at the year-end review",
            Count,
            |t| t.verified_new_poor as f64,
        ),
        yearly_metric(
            "headcount_rate",
            "poverty headcount",
            "persons below the line",
            Share,
            |t| ratio(t.all.poor_persons as f64, t.all.persons as f64),
        ),
        yearly_metric(
            "poverty_gap",
            "poverty gap (FGT1)",
            "mean over persons of the gap to the line, as a share of the line",
            Index,
            |t| ratio(t.all.gap, t.all.persons as f64),
        ),
        yearly_metric(
            "squared_gap",
            "squared poverty gap (FGT2)",
            "mean over persons of the squared gap to the line",
            Index,
            |t| ratio(t.all.squared_gap, t.all.persons as f64),
        ),
        yearly_metric(
            "monitored",
            "households monitored",
            "households under monitoring at the year's end",
            Count,
            |t| t.monitored as f64,
        ),
        yearly_metric(
            "detected",
            "households identified",
            "households at risk identified, including those already monitored",
            Count,
            |t| t.detected as f64,
        ),
        yearly_metric(
            "missed",
            "at risk but missed",
            "households at risk not identified a year",
            Count,
            |t| t.missed as f64,
        )
        .flow(),
        yearly_metric(
            "served",
            "households given support",
            "identified households holding at least one assistance measure",
            Count,
            |t| t.served as f64,
        ),
        yearly_metric(
            "unserved",
            "identified but unserved",
            "identified households left without any measure",
            Count,
            |t| t.unserved as f64,
        ),
        yearly_metric(
            "scale_refused",
            "left out by the scale rule",
            "newly identified households not admitted because monitoring was at its scale limit (policy.monitoring.scale_share); counted among the missed",
            Count,
            |t| t.refused as f64,
        )
        .flow(),
        yearly_metric(
            "risk_eliminated",
            "risk eliminated",
            "households whose risk was marked eliminated, leaving monitoring",
            Count,
            |t| t.exited as f64,
        ),
        yearly_metric(
            "monitored_share",
            "monitored share",
            "households under monitoring at the year's end, of all households",
            Share,
            |t| ratio(t.monitored as f64, t.households as f64),
        ),
        yearly_metric(
            "monitored_share_lifted",
            "monitored share of lifted households",
            "registered households under monitoring at the year's end, of registered households",
            Share,
            |t| ratio(t.monitored_lifted as f64, t.registered as f64),
        ),
        yearly_metric(
            "monitored_share_unregistered",
            "monitored share of never-registered households",
            "never-registered households under monitoring at the year's end, of never-registered households",
            Share,
            |t| {
                ratio(
                    t.monitored.saturating_sub(t.monitored_lifted) as f64,
                    t.households.saturating_sub(t.registered) as f64,
                )
            },
        ),
        yearly_metric(
            "risk_eliminated_share",
            "risk-eliminated share of monitoring objects",
            "households monitored in some year since the start year whose risk has since been marked eliminated, of those households",
            Share,
            |t| ratio(t.risk_eliminated_stock as f64, t.ever_monitored as f64),
        ),
        yearly_metric(
            "served_share",
            "served share",
            "identified households holding at least one measure, of identified households",
            Share,
            |t| ratio(t.served as f64, t.detected as f64),
        ),
        yearly_metric(
            "package_share",
            "package share paid",
            "share of the identified households' full packages that the budget paid",
            Share,
            |t| {
                if t.claimed > 0.0 {
                    t.monitoring_paid() / t.claimed
                } else {
                    1.0
                }
            },
        ),
        yearly_metric(
            "cumulative_return_share",
            "lifted who have returned",
            "initially lifted households returned at least once by the year's end",
            Share,
            |t| ratio(t.ever_returned as f64, t.initially_lifted as f64),
        ),
    ];
    for g in RiskGroup::ALL {
        let i = g as usize;
        m.push(
            yearly_metric(
                &format!("detected_{}", g.name()),
                &format!("identified: {}", g.label()),
                &format!("households at risk identified in the {} group", g.label()),
                Count,
                move |t| t.detected_by_group[i] as f64,
            )
            .of(Part::Group(g)),
        );
        m.push(
            yearly_metric(
                &format!("missed_{}", g.name()),
                &format!("missed: {}", g.label()),
                &format!(
                    "households at risk not identified in the {} group",
                    g.label()
                ),
                Count,
                move |t| t.missed_by_group[i] as f64,
            )
            .of(Part::Group(g)),
        );
    }
    m.push(yearly_metric(
        "mean_income",
        "mean income per person",
        "per-capita net income, mean over households",
        CnyPerPerson,
        |t| ratio(t.income, t.households as f64),
    ));
    m.push(yearly_metric(
        "mean_income_lifted",
        "lifted households' income per person",
        "registered households' income per person on the register's measure",
        CnyPerPerson,
        |t| ratio(t.lifted_income, t.lifted_persons as f64),
    ));
    m.push(yearly_metric(
        "lifted_income_ratio",
        "lifted households' income relative to all",
        "registered households' income per person over all households' income per person, both on the register's measure",
        Ratio,
        |t| {
            ratio(
                ratio(t.lifted_income, t.lifted_persons as f64),
                ratio(t.register_income, t.persons as f64),
            )
        },
    ));
    m.push(yearly_metric(
        "dibao_share",
        "people on dibao",
        "persons in households receiving dibao this year, over all persons",
        Share,
        |t| ratio(t.dibao_persons as f64, t.persons as f64),
    ));
    m.push(yearly_metric(
        "dibao_share_lifted",
        "lifted people on dibao",
        "persons in registered households receiving dibao this year, over persons in registered households",
        Share,
        |t| ratio(t.lifted_dibao_persons as f64, t.lifted_persons as f64),
    ));
    m.push(yearly_metric(
        "cost_total",
        "program cost a year",
        "public program spending a year",
        Cny,
        |t| t.costs.iter().sum(),
    ));
    for p in Program::ALL {
        let i = p as usize;
        m.push(
            yearly_metric(
                &format!("cost_{}", p.name()),
                &format!("cost of {}", p.label()),
                &format!("spending on {} a year", p.label()),
                Cny,
                move |t| t.costs[i],
            )
            .of(Part::Program(p)),
        );
    }
    for a in Actor::ALL {
        let i = a as usize;
        m.push(
            yearly_metric(
                &format!("cost_by_{}", a.name()),
                &format!("cost borne by {}", a.label()),
                &format!("spending borne by {} a year", a.label()),
                Cny,
                move |t| t.actors[i],
            )
            .of(Part::Actor(a)),
        );
    }
    for g in Group::ALL {
        let i = g as usize;
        m.push(
            yearly_metric(
                &format!("headcount_rate_{}", g.name()),
                &format!("poverty headcount, {}", g.label()),
                &format!("persons below the line in {} (initial group)", g.label()),
                Share,
                move |t| {
                    let b = &t.by_group[i];
                    ratio(b.poor_persons as f64, b.persons as f64)
                },
            )
            .of(Part::Initial(g)),
        );
    }
    m
}

/// The whole-horizon metrics, in file order (before the yearly metrics' means).
fn horizon_metrics() -> Vec<Metric> {
    use Unit::*;
    fn sum(years: &[YearTally], f: impl Fn(&YearTally) -> u64) -> f64 {
        years.iter().map(f).sum::<u64>() as f64
    }
    vec![
        horizon_metric(
            "cumulative_return_prob",
            "lifted who ever return",
            "initially lifted households falling below the line at least once over the horizon",
            Share,
            |_, p| ratio(p.ever_returned as f64, p.initially_lifted as f64),
        ),
        horizon_metric(
            "mean_return_rate",
            "pooled return rate (survey)",
            "returns per lifted household-year",
            Share,
            |y, _| ratio(sum(y, |t| t.returns), sum(y, |t| t.lifted_at_risk)),
        ),
        horizon_metric(
            "mean_registered_return_rate",
            "pooled registered return rate",
            "registered returns per lifted household-year on the register",
            Share,
            |y, _| {
                ratio(
                    sum(y, |t| t.registered_returns),
                    sum(y, |t| t.lifted_on_register),
                )
            },
        ),
        horizon_metric(
            "mean_years_to_first_return",
            "years to first return",
            "years to the first return, among initially lifted households that return",
            Years,
            |_, p| ratio(p.years_to_first_return as f64, p.ever_returned as f64),
        ),
        horizon_metric(
            "total_cost",
            "program cost over the horizon",
            "public program spending over the horizon",
            Cny,
            |y, _| y.iter().map(|t| t.costs.iter().sum::<f64>()).sum(),
        ),
        horizon_metric(
            "total_returns",
            "returns over the horizon",
            "lifted households' returns (survey) over the horizon",
            Count,
            |y, _| sum(y, |t| t.returns),
        ),
        horizon_metric(
            "transient_share",
            "transient share of poverty",
            "share of the squared poverty gap that is not chronic",
            Share,
            |_, p| {
                ratio(
                    p.total_squared_gap - p.chronic_squared_gap,
                    p.total_squared_gap,
                )
            },
        ),
        horizon_metric(
            "exit_after_one_year",
            "exit after a one-year spell",
            "poverty spells over by the next panel observation, of spells",
            Share,
            |_, p| ratio(p.spells_one_year as f64, p.spells_started as f64),
        ),
        horizon_metric(
            "reentry_within_5y",
            "re-entry within 5 years",
            "exits from poverty followed by poverty within five years, of exits",
            Share,
            |_, p| ratio(p.reentries as f64, p.exits_followed as f64),
        ),
    ]
}

fn comparison_metrics() -> Vec<Metric> {
    vec![
        comparison_metric(
            "returns_averted_per_million",
            "returns averted per million CNY",
            "returns averted over the horizon per million CNY of extra spending",
            Unit::ReturnsPerMillionCny,
        ),
        comparison_metric(
            "cost_per_return_averted",
            "cost per return averted",
            "extra spending over the horizon per return averted",
            Unit::CnyPerReturn,
        ),
    ]
}

struct Registry {
    yearly: Vec<Metric>,
    horizon: Vec<Metric>,
    comparison: Vec<Metric>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    yearly: yearly_metrics(),
    horizon: horizon_metrics(),
    comparison: comparison_metrics(),
});

/// The yearly metrics, in file order.
pub fn yearly() -> &'static [Metric] {
    &REGISTRY.yearly
}

/// The whole-horizon metrics, in file order; `summary.csv` follows them with the
/// yearly metrics' means.
pub fn horizon() -> &'static [Metric] {
    &REGISTRY.horizon
}

/// The metrics `compare` computes from a variant and the baseline.
pub fn comparisons() -> &'static [Metric] {
    &REGISTRY.comparison
}

/// Every metric: whole-horizon, yearly, then comparison.
pub fn all() -> impl Iterator<Item = &'static Metric> {
    horizon().iter().chain(yearly()).chain(comparisons())
}

/// The metric of a file's name, in whichever table it appears (a summary's mean of a
/// yearly metric is the yearly metric).
pub fn get(name: &str) -> Option<&'static Metric> {
    all().find(|m| m.name == name)
}

/// A metric's unit; [`Unit::Count`] for a name not declared here (a column a newer
/// version wrote, read by an older report).
pub fn unit(name: &str) -> Unit {
    get(name).map(|m| m.unit).unwrap_or(Unit::Count)
}

/// A year's metrics, as (name, value), in file order.
pub(super) fn year_values(t: &YearTally) -> Vec<(String, f64)> {
    yearly()
        .iter()
        .map(|m| match &m.value {
            Value::Year(f) => (m.name.clone(), f(t)),
            _ => unreachable!("the yearly list holds yearly metrics only"),
        })
        .collect()
}

/// A replication's whole-horizon metrics, as (name, value), in file order.
pub(super) fn horizon_values(years: &[YearTally], panel: &PanelTally) -> Vec<(String, f64)> {
    horizon()
        .iter()
        .map(|m| match &m.value {
            Value::Horizon(f) => (m.name.clone(), f(years, panel)),
            _ => unreachable!("the horizon list holds horizon metrics only"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_declared_once() {
        let mut names: Vec<&str> = all().map(|m| m.name.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a metric name is declared twice");
    }

    #[test]
    fn labels_and_units_come_from_the_declaration() {
        assert_eq!(unit("registered_return_rate"), Unit::Share);
        assert_eq!(unit("monitored_share_lifted"), Unit::Share);
        assert_eq!(unit("cost_dibao"), Unit::Cny);
        assert_eq!(unit("cost_per_return_averted"), Unit::CnyPerReturn);
        assert_eq!(unit("mean_income_lifted"), Unit::CnyPerPerson);
        assert_eq!(unit("squared_gap"), Unit::Index);
        assert_eq!(unit("lifted_income_ratio"), Unit::Ratio);
        assert_eq!(get("missed_sudden").map(|m| m.scope()), Some(Scope::Yearly));
        assert_eq!(get("total_cost").map(|m| m.scope()), Some(Scope::Horizon));
        assert_eq!(
            get("cost_by_society").unwrap().label,
            "cost borne by society"
        );
        assert!(get("return_rate").unwrap().per_year && get("missed").unwrap().per_year);
        assert!(!get("monitored").unwrap().per_year && !get("headcount_rate").unwrap().per_year);
        assert!(get("not_a_metric").is_none());
    }

    /// A tally's yearly values by metric name.
    fn values_of(t: &YearTally) -> std::collections::BTreeMap<String, f64> {
        year_values(t).into_iter().collect()
    }

    #[test]
    fn shares_computed_here_stay_in_zero_to_one() {
        let t = YearTally {
            households: 10,
            monitored: 3,
            registered: 4,
            monitored_lifted: 2,
            detected: 5,
            served: 5,
            lifted_at_risk: 4,
            returns: 1,
            ..YearTally::default()
        };
        for (name, v) in year_values(&t) {
            if unit(&name) == Unit::Share {
                assert!((0.0..=1.0).contains(&v), "{name} = {v}");
            }
        }
        let m = values_of(&t);
        assert_eq!(m["monitored_share"], 0.3);
        assert_eq!(m["monitored_share_lifted"], 0.5);
        // One of the six never-registered households is monitored.
        assert_eq!(m["monitored_share_unregistered"], 1.0 / 6.0);
        assert_eq!(m["return_rate"], 0.25);
    }

    #[test]
    fn dibao_shares_count_persons_not_households() {
        // Two dibao households of 2 and 5 persons among 20 persons; the 5-person one
        // is registered, among 8 registered persons: 7/20 of people, 5/8 of lifted
        // people (by households it would be other figures). None counted: 0.
        let t = YearTally {
            persons: 20,
            dibao_persons: 7,
            lifted_persons: 8,
            lifted_dibao_persons: 5,
            ..YearTally::default()
        };
        let m = values_of(&t);
        assert_eq!(m["dibao_share"], 7.0 / 20.0);
        assert_eq!(m["dibao_share_lifted"], 5.0 / 8.0);
        let empty = values_of(&YearTally::default());
        assert_eq!(
            (empty["dibao_share"], empty["dibao_share_lifted"]),
            (0.0, 0.0)
        );
    }

    #[test]
    fn lifted_income_ratio_is_per_person_on_both_sides() {
        // Lifted households of 3 persons with 27,000, among 10 persons with
        // 60,000 in all: 9,000 against 6,000 per person, a ratio of 1.5 (a ratio, not
        // a share). With no household counted it is 0, not a division by zero.
        let t = YearTally {
            lifted_persons: 3,
            lifted_income: 27_000.0,
            persons: 10,
            register_income: 60_000.0,
            ..YearTally::default()
        };
        let m = values_of(&t);
        assert_eq!(m["lifted_income_ratio"], 1.5);
        assert_eq!(m["mean_income_lifted"], 9_000.0);
        let empty = values_of(&YearTally::default());
        assert_eq!(empty["lifted_income_ratio"], 0.0);
    }
}
