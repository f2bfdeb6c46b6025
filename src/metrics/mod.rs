//! What is counted (MODEL.md section 4), in mergeable accumulators.
//!
//! A [`YearTally`] is filled household by household within a fixed chunk, and chunks
//! are merged in index order, so float sums do not depend on the thread count.

use crate::scenario::params::Actor;

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
    /// Every cause, in file order.
    pub const ALL: [Cause; 6] = [
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
    /// Every program, in file order.
    pub const ALL: [Program; 12] = [
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
    /// Every group, in file order.
    pub const ALL: [RiskGroup; 3] = [
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
    /// Full cost of the packages claimed by detected households (CNY).
    pub claimed: f64,
    /// Households whose risk was marked eliminated: leaving monitoring.
    pub exited: u64,
    /// Registered households (ever on the register) at the end of the year.
    pub registered: u64,
    /// Of those, under monitoring at the end of the year.
    pub monitored_lifted: u64,
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
    /// Detected by monitored group.
    pub detected_by_group: [u64; 3],
    /// Missed by monitored group.
    pub missed_by_group: [u64; 3],
    /// Served by monitored group.
    pub served_by_group: [u64; 3],
    /// Persons and poverty by initial group (lifted, marginal, other).
    pub by_group: [GroupPoverty; 3],
    /// Returns by cause.
    pub causes: [u64; 6],
    /// Cost by program (CNY).
    pub costs: [f64; 12],
    /// Cost by actor (CNY), including households' own premiums and medical spending.
    pub actors: [f64; 4],
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
        self.claimed += o.claimed;
        self.exited += o.exited;
        self.registered += o.registered;
        self.monitored_lifted += o.monitored_lifted;
        self.lifted_on_register += o.lifted_on_register;
        self.registered_returns += o.registered_returns;
        self.unregistered_not_poor += o.unregistered_not_poor;
        self.verified_new_poor += o.verified_new_poor;
        self.lifted_persons += o.lifted_persons;
        self.lifted_income += o.lifted_income;
        self.initially_lifted += o.initially_lifted;
        self.ever_returned += o.ever_returned;
        for i in 0..3 {
            self.detected_by_group[i] += o.detected_by_group[i];
            self.missed_by_group[i] += o.missed_by_group[i];
            self.served_by_group[i] += o.served_by_group[i];
            self.by_group[i].merge(&o.by_group[i]);
        }
        for i in 0..6 {
            self.causes[i] += o.causes[i];
        }
        for i in 0..12 {
            self.costs[i] += o.costs[i];
        }
        for i in 0..4 {
            self.actors[i] += o.actors[i];
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

    /// The yearly metrics, as (name, value), in file order.
    pub fn metrics(&self) -> Vec<(String, f64)> {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let persons = self.all.persons as f64;
        let mut out: Vec<(String, f64)> = vec![
            (
                "return_rate".into(),
                ratio(self.returns as f64, self.lifted_at_risk as f64),
            ),
            (
                "registered_return_rate".into(),
                ratio(
                    self.registered_returns as f64,
                    self.lifted_on_register as f64,
                ),
            ),
            ("returns".into(), self.returns as f64),
            ("registered_returns".into(), self.registered_returns as f64),
            ("returns_persons".into(), self.returns_persons as f64),
            ("lifted_at_risk".into(), self.lifted_at_risk as f64),
            (
                "new_poverty_rate".into(),
                ratio(self.new_poor as f64, self.never_registered_at_risk as f64),
            ),
            ("new_poor".into(), self.new_poor as f64),
            (
                "verified_new_poverty_rate".into(),
                ratio(
                    self.verified_new_poor as f64,
                    self.unregistered_not_poor as f64,
                ),
            ),
            ("verified_new_poor".into(), self.verified_new_poor as f64),
            (
                "headcount_rate".into(),
                ratio(self.all.poor_persons as f64, persons),
            ),
            ("poverty_gap".into(), ratio(self.all.gap, persons)),
            ("squared_gap".into(), ratio(self.all.squared_gap, persons)),
            ("monitored".into(), self.monitored as f64),
            ("detected".into(), self.detected as f64),
            ("missed".into(), self.missed as f64),
            ("served".into(), self.served as f64),
            ("unserved".into(), self.unserved as f64),
            ("risk_eliminated".into(), self.exited as f64),
            (
                "monitored_share".into(),
                ratio(self.monitored as f64, self.households as f64),
            ),
            (
                "monitored_share_lifted".into(),
                ratio(self.monitored_lifted as f64, self.registered as f64),
            ),
            (
                "served_share".into(),
                ratio(self.served as f64, self.detected as f64),
            ),
            (
                "package_share".into(),
                if self.claimed > 0.0 {
                    self.monitoring_paid() / self.claimed
                } else {
                    1.0
                },
            ),
            (
                "cumulative_return_share".into(),
                ratio(self.ever_returned as f64, self.initially_lifted as f64),
            ),
        ];
        for g in RiskGroup::ALL {
            out.push((
                format!("detected_{}", g.name()),
                self.detected_by_group[g as usize] as f64,
            ));
            out.push((
                format!("missed_{}", g.name()),
                self.missed_by_group[g as usize] as f64,
            ));
        }
        out.push((
            "mean_income".into(),
            ratio(self.income, self.households as f64),
        ));
        out.push((
            "mean_income_lifted".into(),
            ratio(self.lifted_income, self.lifted_persons as f64),
        ));
        out.push(("cost_total".into(), self.costs.iter().sum()));
        for p in Program::ALL {
            out.push((format!("cost_{}", p.name()), self.costs[p as usize]));
        }
        for a in Actor::ALL {
            out.push((format!("cost_by_{}", a.name()), self.actors[a as usize]));
        }
        out
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

/// The names of the summary metrics, in the order [`summary`] gives them.
pub fn summary_names() -> Vec<String> {
    summary(&[YearTally::default()], &PanelTally::default())
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// The summary metrics of one replication.
pub fn summary(years: &[YearTally], panel: &PanelTally) -> Vec<(String, f64)> {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let returns: u64 = years.iter().map(|y| y.returns).sum();
    let at_risk: u64 = years.iter().map(|y| y.lifted_at_risk).sum();
    let mut out = vec![
        (
            "cumulative_return_prob".to_string(),
            ratio(panel.ever_returned as f64, panel.initially_lifted as f64),
        ),
        (
            "mean_return_rate".into(),
            ratio(returns as f64, at_risk as f64),
        ),
        (
            "mean_registered_return_rate".into(),
            ratio(
                years.iter().map(|y| y.registered_returns).sum::<u64>() as f64,
                years.iter().map(|y| y.lifted_on_register).sum::<u64>() as f64,
            ),
        ),
        (
            "mean_years_to_first_return".into(),
            ratio(
                panel.years_to_first_return as f64,
                panel.ever_returned as f64,
            ),
        ),
        (
            "total_cost".into(),
            years.iter().map(|y| y.costs.iter().sum::<f64>()).sum(),
        ),
        ("total_returns".into(), returns as f64),
        (
            "transient_share".into(),
            ratio(
                panel.total_squared_gap - panel.chronic_squared_gap,
                panel.total_squared_gap,
            ),
        ),
        (
            "exit_after_one_year".into(),
            ratio(panel.spells_one_year as f64, panel.spells_started as f64),
        ),
        (
            "reentry_within_5y".into(),
            ratio(panel.reentries as f64, panel.exits_followed as f64),
        ),
    ];
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
