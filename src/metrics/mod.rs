//! What is counted (MODEL.md section 4), in mergeable accumulators.
//!
//! A [`YearTally`] is filled household by household within a fixed chunk, and chunks
//! are merged in index order, so float sums do not depend on the thread count.

use crate::population::Group;
use crate::scenario::params::Actor;

pub mod registry;

pub use registry::{Metric, Part, Scope, Unit};

/// Why a household returned to poverty: the component whose fall from the previous
/// year was largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Rigid medical spending rose.
    Illness,
    /// Disaster losses rose.
    Disaster,
    /// Wage income fell with the same labour.
    JobLoss,
    /// Industry-program income fell.
    ProgramFailure,
    /// Working labour fell.
    LabourLoss,
    /// Anything else: income shocks, transfers, prices.
    Other,
}

impl Cause {
    /// How many causes there are.
    pub const COUNT: usize = Cause::Other as usize + 1;

    /// Every cause, in file order.
    pub const ALL: [Cause; Cause::COUNT] = [
        Cause::Illness,
        Cause::Disaster,
        Cause::JobLoss,
        Cause::ProgramFailure,
        Cause::LabourLoss,
        Cause::Other,
    ];

    /// Name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Illness => "illness",
            Cause::Disaster => "disaster",
            Cause::JobLoss => "job_loss",
            Cause::ProgramFailure => "program_failure",
            Cause::LabourLoss => "labour_loss",
            Cause::Other => "other",
        }
    }

    /// Label for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Cause::Illness => "illness",
            Cause::Disaster => "disaster",
            Cause::JobLoss => "job loss",
            Cause::ProgramFailure => "program failure",
            Cause::LabourLoss => "labour loss",
            Cause::Other => "other",
        }
    }
}

/// Falls of each component from last year to this (CNY, positive = worse).
#[derive(Debug, Clone, Copy, Default)]
pub struct Falls {
    /// Rise in counted rigid (medical) spending.
    pub illness: f64,
    /// Rise in disaster losses.
    pub disaster: f64,
    /// Fall in wages not explained by lost labour.
    pub job: f64,
    /// Fall in industry income.
    pub program: f64,
    /// Wage lost with the labour units that stopped working.
    pub labour: f64,
    /// Fall in total net income.
    pub total: f64,
}

/// The largest component fall; `Other` when the named falls explain less than the
/// unexplained rest.
pub fn attribute(f: &Falls) -> Cause {
    let named = [
        (Cause::Illness, f.illness),
        (Cause::Disaster, f.disaster),
        (Cause::JobLoss, f.job),
        (Cause::ProgramFailure, f.program),
        (Cause::LabourLoss, f.labour),
    ];
    let explained: f64 = named.iter().map(|(_, v)| v.max(0.0)).sum();
    let other = f.total - explained;
    let mut best = (Cause::Other, other);
    for (c, v) in named {
        if v > best.1 {
            best = (c, v);
        }
    }
    best.0
}

/// A spending program whose cost is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// Monitoring top-ups (unconditional and rewarded).
    MonitoringTopup,
    /// Public-welfare jobs.
    PublicJobs,
    /// Extra medical assistance for monitored households.
    MonitoringMedical,
    /// Industry programs.
    Industry,
    /// Basic medical insurance.
    MedicalInsurance,
    /// Serious-illness insurance.
    SeriousIllness,
    /// Medical assistance for dibao households.
    MedicalAssistance,
    /// Dibao.
    Dibao,
    /// Basic pension.
    Pension,
    /// Agricultural insurance indemnities.
    AgriculturalInsurance,
    /// Motivation rewards.
    Incentives,
    /// Skills training.
    Training,
}

impl Program {
    /// How many programs there are.
    pub const COUNT: usize = Program::Training as usize + 1;

    /// Every program, in file order.
    pub const ALL: [Program; Program::COUNT] = [
        Program::MonitoringTopup,
        Program::PublicJobs,
        Program::MonitoringMedical,
        Program::Industry,
        Program::MedicalInsurance,
        Program::SeriousIllness,
        Program::MedicalAssistance,
        Program::Dibao,
        Program::Pension,
        Program::AgriculturalInsurance,
        Program::Incentives,
        Program::Training,
    ];

    /// Name used in `cost_<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Program::MonitoringTopup => "monitoring_topup",
            Program::PublicJobs => "public_jobs",
            Program::MonitoringMedical => "monitoring_medical",
            Program::Industry => "industry",
            Program::MedicalInsurance => "medical_insurance",
            Program::SeriousIllness => "serious_illness",
            Program::MedicalAssistance => "medical_assistance",
            Program::Dibao => "dibao",
            Program::Pension => "pension",
            Program::AgriculturalInsurance => "agricultural_insurance",
            Program::Incentives => "incentives",
            Program::Training => "training",
        }
    }

    /// Label for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Program::MonitoringTopup => "monitoring top-ups",
            Program::PublicJobs => "public-welfare jobs",
            Program::MonitoringMedical => "monitoring medical help",
            Program::Industry => "industry programs",
            Program::MedicalInsurance => "basic medical insurance",
            Program::SeriousIllness => "serious-illness insurance",
            Program::MedicalAssistance => "medical assistance",
            Program::Dibao => "dibao",
            Program::Pension => "basic pension",
            Program::AgriculturalInsurance => "agricultural insurance",
            Program::Incentives => "motivation rewards",
            Program::Training => "skills training",
        }
    }
}

/// Monitored groups (PARAMETERS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskGroup {
    /// Registered households below the threshold (脱贫不稳定户).
    UnstableLifted,
    /// Never-registered households below the threshold (边缘易致贫户).
    Marginal,
    /// Households above the threshold hit by a large shock (突发严重困难户).
    Sudden,
}

impl RiskGroup {
    /// How many groups there are.
    pub const COUNT: usize = RiskGroup::Sudden as usize + 1;

    /// Every group, in file order.
    pub const ALL: [RiskGroup; RiskGroup::COUNT] = [
        RiskGroup::UnstableLifted,
        RiskGroup::Marginal,
        RiskGroup::Sudden,
    ];

    /// Name used in files.
    pub fn name(self) -> &'static str {
        match self {
            RiskGroup::UnstableLifted => "unstable_lifted",
            RiskGroup::Marginal => "marginal",
            RiskGroup::Sudden => "sudden",
        }
    }

    /// Label for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            RiskGroup::UnstableLifted => "unstable lifted",
            RiskGroup::Marginal => "marginal",
            RiskGroup::Sudden => "sudden severe difficulty",
        }
    }
}

/// Persons and FGT sums of one group of households.
///
/// FGT(alpha) = mean over persons of `1[y<z] ((z - y)/z)^alpha` (Foster, Greer and
/// Thorbecke 1984, Econometrica 52(3)), with income censored at zero so the gap is at
/// most one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupPoverty {
    /// Persons.
    pub persons: u64,
    /// Poor persons.
    pub poor_persons: u64,
    /// Sum over persons of the normalised gap.
    pub gap: f64,
    /// Sum over persons of the squared normalised gap.
    pub squared_gap: f64,
}

impl GroupPoverty {
    /// Count `size` persons at normalised income `relative = y / z`.
    pub fn poverty(&mut self, size: u64, relative: f64) {
        self.persons += size;
        if relative < 1.0 {
            let g = (1.0 - relative).min(1.0);
            self.poor_persons += size;
            self.gap += g * size as f64;
            self.squared_gap += g * g * size as f64;
        }
    }

    /// Add another.
    pub fn merge(&mut self, o: &GroupPoverty) {
        self.persons += o.persons;
        self.poor_persons += o.poor_persons;
        self.gap += o.gap;
        self.squared_gap += o.squared_gap;
    }
}

/// Counts and sums of one replication-year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearTally {
    /// Households.
    pub households: u64,
    /// Registered households not poor last year.
    pub lifted_at_risk: u64,
    /// Of those, poor this year.
    pub returns: u64,
    /// Persons in returning households.
    pub returns_persons: u64,
    /// Never-registered households not poor last year.
    pub never_registered_at_risk: u64,
    /// Of those, poor this year.
    pub new_poor: u64,
    /// Poverty of all persons.
    pub all: GroupPoverty,
    /// Households under monitoring at the end of the year.
    pub monitored: u64,
    /// At-risk households detected (including those already monitored).
    pub detected: u64,
    /// At-risk households not detected.
    pub missed: u64,
    /// Detected households holding at least one assistance measure.
    pub served: u64,
    /// Detected households left without any measure.
    pub unserved: u64,
    /// Newly identified households the scale rule left out (counted among the missed).
    pub refused: u64,
    /// Full cost of the packages claimed by detected households (CNY).
    pub claimed: f64,
    /// Households whose risk was marked eliminated: leaving monitoring.
    pub exited: u64,
    /// Registered households (ever on the register) at the end of the year.
    pub registered: u64,
    /// Of those, under monitoring at the end of the year.
    pub monitored_lifted: u64,
    /// Households under monitoring in some year since the start year.
    pub ever_monitored: u64,
    /// Of those, no longer monitored: their risk has been marked eliminated.
    pub risk_eliminated_stock: u64,
    /// Registered households not verified poor at the last review: the lifted stock
    /// of the administrative measure.
    pub lifted_on_register: u64,
    /// Of those, verified poor at this year's review (put back on the register).
    pub registered_returns: u64,
    /// Never-registered households not verified poor at the last review.
    pub unregistered_not_poor: u64,
    /// Of those, verified newly poor at this year's review.
    pub verified_new_poor: u64,
    /// Persons in registered households.
    pub lifted_persons: u64,
    /// Their income on the register's measure, before medical spending (CNY).
    pub lifted_income: f64,
    /// Persons in all households.
    pub persons: u64,
    /// Persons in households on dibao this year.
    pub dibao_persons: u64,
    /// Persons in registered households on dibao this year.
    pub lifted_dibao_persons: u64,
    /// All households' income on the register's measure (CNY).
    pub register_income: f64,
    /// Detected by monitored group.
    pub detected_by_group: [u64; RiskGroup::COUNT],
    /// Missed by monitored group.
    pub missed_by_group: [u64; RiskGroup::COUNT],
    /// Served by monitored group.
    pub served_by_group: [u64; RiskGroup::COUNT],
    /// Persons and poverty by initial group (lifted, marginal, other).
    pub by_group: [GroupPoverty; Group::COUNT],
    /// Returns by cause.
    pub causes: [u64; Cause::COUNT],
    /// Cost by program (CNY).
    pub costs: [f64; Program::COUNT],
    /// Cost by actor (CNY), including households' own premiums and medical spending.
    pub actors: [f64; Actor::COUNT],
    /// Sum of per-capita net income over households.
    pub income: f64,
    /// Households lifted out of poverty at the start of the horizon.
    pub initially_lifted: u64,
    /// Of those, households that have returned to poverty at least once by the end of
    /// this year.
    pub ever_returned: u64,
}

impl YearTally {
    /// Add another tally (of a later chunk).
    pub fn merge(&mut self, o: &YearTally) {
        self.households += o.households;
        self.lifted_at_risk += o.lifted_at_risk;
        self.returns += o.returns;
        self.returns_persons += o.returns_persons;
        self.never_registered_at_risk += o.never_registered_at_risk;
        self.new_poor += o.new_poor;
        self.all.merge(&o.all);
        self.monitored += o.monitored;
        self.detected += o.detected;
        self.missed += o.missed;
        self.served += o.served;
        self.unserved += o.unserved;
        self.refused += o.refused;
        self.claimed += o.claimed;
        self.exited += o.exited;
        self.registered += o.registered;
        self.monitored_lifted += o.monitored_lifted;
        self.ever_monitored += o.ever_monitored;
        self.risk_eliminated_stock += o.risk_eliminated_stock;
        self.lifted_on_register += o.lifted_on_register;
        self.registered_returns += o.registered_returns;
        self.unregistered_not_poor += o.unregistered_not_poor;
        self.verified_new_poor += o.verified_new_poor;
        self.lifted_persons += o.lifted_persons;
        self.lifted_income += o.lifted_income;
        self.persons += o.persons;
        self.dibao_persons += o.dibao_persons;
        self.lifted_dibao_persons += o.lifted_dibao_persons;
        self.register_income += o.register_income;
        self.initially_lifted += o.initially_lifted;
        self.ever_returned += o.ever_returned;
        fn add<T: Copy + std::ops::AddAssign>(a: &mut [T], b: &[T]) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += *y;
            }
        }
        add(&mut self.detected_by_group, &o.detected_by_group);
        add(&mut self.missed_by_group, &o.missed_by_group);
        add(&mut self.served_by_group, &o.served_by_group);
        add(&mut self.causes, &o.causes);
        add(&mut self.costs, &o.costs);
        add(&mut self.actors, &o.actors);
        for (x, y) in self.by_group.iter_mut().zip(&o.by_group) {
            x.merge(y);
        }
        self.income += o.income;
    }

    /// What monitoring packages paid (CNY): top-ups, public-welfare jobs and extra
    /// medical help.
    pub fn monitoring_paid(&self) -> f64 {
        [
            Program::MonitoringTopup,
            Program::PublicJobs,
            Program::MonitoringMedical,
        ]
        .iter()
        .map(|&p| self.costs[p as usize])
        .sum()
    }

    /// Add a cost to a program and its actor.
    pub fn spend(&mut self, program: Program, actor: Actor, amount: f64) {
        self.costs[program as usize] += amount;
        self.actors[actor as usize] += amount;
    }

    /// Record the poverty status of a household of `size` persons in initial group
    /// `group` (index of lifted, marginal, other) with normalised income `y / z`.
    pub fn poverty(&mut self, group: usize, size: u64, relative: f64) {
        self.all.poverty(size, relative);
        self.by_group[group].poverty(size, relative);
    }

    /// The yearly metrics, as (name, value), in file order ([`registry::yearly`]).
    pub fn metrics(&self) -> Vec<(String, f64)> {
        registry::year_values(self)
    }
}

/// Whole-horizon panel figures of one replication.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelTally {
    /// Households lifted at the start.
    pub initially_lifted: u64,
    /// Of those, households that returned at least once.
    pub ever_returned: u64,
    /// Sum of years to first return among them (1 = the first year).
    pub years_to_first_return: u64,
    /// Sum over households of the mean squared poverty gap over the horizon (total
    /// poverty, FGT2).
    pub total_squared_gap: f64,
    /// Sum over households of the squared gap of their mean `y/z` (chronic poverty).
    pub chronic_squared_gap: f64,
    /// Spells that started inside the horizon and are seen again at the next panel
    /// observation (`poverty_line.panel_interval` years later).
    pub spells_started: u64,
    /// Of those, spells over by that observation.
    pub spells_one_year: u64,
    /// Exits from poverty with five years of follow-up.
    pub exits_followed: u64,
    /// Of those, re-entries within five years.
    pub reentries: u64,
}

impl PanelTally {
    /// Add another tally.
    pub fn merge(&mut self, o: &PanelTally) {
        self.initially_lifted += o.initially_lifted;
        self.ever_returned += o.ever_returned;
        self.years_to_first_return += o.years_to_first_return;
        self.total_squared_gap += o.total_squared_gap;
        self.chronic_squared_gap += o.chronic_squared_gap;
        self.spells_started += o.spells_started;
        self.spells_one_year += o.spells_one_year;
        self.exits_followed += o.exits_followed;
        self.reentries += o.reentries;
    }
}

/// Window of the re-entry calibration target (years).
pub const REENTRY_WINDOW: i16 = 5;

/// The names of the summary metrics, in the order [`summary`] gives them: the
/// whole-horizon metrics, then the yearly ones (their means over the years).
pub fn summary_names() -> Vec<String> {
    registry::horizon()
        .iter()
        .chain(registry::yearly())
        .map(|m| m.name.clone())
        .collect()
}

/// The summary metrics of one replication: the whole-horizon metrics, then each yearly
/// metric's mean over the years.
pub fn summary(years: &[YearTally], panel: &PanelTally) -> Vec<(String, f64)> {
    let mut out = registry::horizon_values(years, panel);
    let n = years.len().max(1) as f64;
    let per_year: Vec<Vec<(String, f64)>> = years.iter().map(YearTally::metrics).collect();
    if let Some(first) = per_year.first() {
        for (i, (name, _)) in first.iter().enumerate() {
            let mean = per_year.iter().map(|m| m[i].1).sum::<f64>() / n;
            out.push((name.clone(), mean));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribution_picks_largest_fall() {
        let f = Falls {
            illness: 5000.0,
            disaster: 1000.0,
            total: 6500.0,
            ..Falls::default()
        };
        assert_eq!(attribute(&f), Cause::Illness);
        let f = Falls {
            job: 300.0,
            total: 9000.0,
            ..Falls::default()
        };
        assert_eq!(attribute(&f), Cause::Other);
    }

    #[test]
    fn fgt_on_hand_made_data() {
        // Two persons at y/z = 0.5, two at 1.2: FGT0 = 0.5, FGT1 = 0.25, FGT2 = 0.125.
        let mut t = YearTally {
            households: 2,
            ..YearTally::default()
        };
        t.poverty(0, 2, 0.5);
        t.poverty(1, 2, 1.2);
        assert_eq!(t.by_group[0].poor_persons, 2);
        assert_eq!(t.by_group[1].poor_persons, 0);
        let m: std::collections::BTreeMap<String, f64> = t.metrics().into_iter().collect();
        assert!((m["headcount_rate"] - 0.5).abs() < 1e-12);
        assert!((m["poverty_gap"] - 0.25).abs() < 1e-12);
        assert!((m["squared_gap"] - 0.125).abs() < 1e-12);
        // By initial group: the lifted pair is poor, the marginal pair is not.
        assert_eq!(m["headcount_rate_lifted"], 1.0);
        assert_eq!(m["headcount_rate_marginal"], 0.0);
        assert_eq!(m["headcount_rate_other"], 0.0);
    }

    #[test]
    fn merge_adds_everything() {
        let mut a = YearTally {
            returns: 1,
            ..YearTally::default()
        };
        a.poverty(2, 3, 0.5);
        a.spend(Program::Dibao, Actor::Government, 10.0);
        let mut b = a.clone();
        b.merge(&a);
        assert_eq!(b.returns, 2);
        assert_eq!(b.all.poor_persons, 6);
        assert_eq!(b.by_group[2].gap, 3.0);
        assert_eq!(b.costs[Program::Dibao as usize], 20.0);
        assert_eq!(b.actors[Actor::Government as usize], 20.0);
    }
}
