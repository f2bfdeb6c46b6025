//! Dynamic monitoring and support (MODEL.md 3.1): who is at risk, who is identified
//! and what package they claim; the county budget's share of the packages; support
//! paid and its costs; and the household's exit when its risk is eliminated.

use super::{YearContext, YearDraws, YearRecord};
use crate::metrics::{Program, RiskGroup, YearTally};
use crate::policy::{self, Package};
use crate::population::Household;
use crate::rng::Purpose;
use crate::scenario::Params;
use crate::scenario::params::{Actor, Monitoring};

/// Detection by monitoring.
pub const DETECT: Purpose = Purpose::new("monitoring.detect");

/// Identify the household if it is at risk, and state the package it would claim.
pub(super) fn identify(h: &Household, r: &mut YearRecord, ctx: &YearContext<'_>, d: YearDraws<'_>) {
    let p = ctx.p;
    let g = ctx.growth;
    let mon = &p.policy.monitoring;
    // The threshold applies to the register's per-capita net income, which does not
    // deduct medical spending: large rigid spending is the separate shock criterion
    // (the sudden-difficulty group), as the monitoring rules define them.
    let size = f64::from(h.size);
    let y_register = r.register_income(h.size);
    let loss = r.cover.out_of_pocket + r.disaster_loss;
    let shock = loss > mon.shock_threshold.get() * g;
    let below = y_register < ctx.tau;
    r.risk = shock || risk(h, r, mon, ctx.z);
    r.at_risk = shock || (below && (!mon.identify_on_risk || h.monitored() || r.risk));
    // A newly poor monitoring object (post-2020 rules) stays in the sudden-difficulty
    // group while it is verified poor.
    r.risk_group = match (r.at_risk, below, h.registered()) {
        (false, ..) => None,
        (true, true, true) => Some(RiskGroup::UnstableLifted),
        (true, true, false) if h.verified_poor() => Some(RiskGroup::Sudden),
        (true, true, false) => Some(RiskGroup::Marginal),
        (true, false, _) => Some(RiskGroup::Sudden),
    };
    if mon.enabled && r.at_risk {
        r.detected = h.monitored() || d.detect() < ctx.monitoring.detection;
        r.newly_detected = r.detected && !h.monitored();
        if r.detected {
            let motivation = p.policy.motivation.enabled.then_some(&p.policy.motivation);
            r.package = policy::package(
                mon,
                motivation,
                ctx.monitoring.lag,
                (ctx.tau - y_register).max(0.0) * size,
                r.cover.out_of_pocket,
                r.newly_detected,
                u32::from(r.working - r.employed),
                r.employed > 0,
                g,
            );
        }
    }
}

/// Whether the year brought a household a risk of (re)entering poverty, the condition
/// on which income under the threshold identifies it (`identify_on_risk`): a labour
/// unit lost to this year's illness or a job lost (因病、因就业), a failed program
/// (因产业), rigid spending and disaster loss above `risk_loss_share` of gross income
/// (刚性支出较大、因灾), the register's income down by `risk_income_fall` on last year
/// (收入大幅缩减), or that income under the poverty line `z` itself.
pub(super) fn risk(h: &Household, r: &YearRecord, mon: &Monitoring, z: f64) -> bool {
    let loss = r.cover.out_of_pocket + r.disaster_loss;
    let last = h.prev_register.get();
    let income = r.register_income(h.size);
    income < z
        || (r.ill && r.labour_lost)
        || r.job_lost
        || r.programs_failed & h.programs != 0
        || loss > mon.risk_loss_share.get() * r.gross.max(0.0)
        || income < (1.0 - mon.risk_income_fall.get()) * last
}

/// The county's monitoring budget for the year, `(budget + social fund) per household
/// × households`.
pub fn budget(p: &Params, households: usize) -> f64 {
    let mon = &p.policy.monitoring;
    (mon.budget_per_household.get() + mon.social_fund_per_household.get()) * households as f64
}

/// Pay `share` of an identified household's package (the county step's share);
/// returns the medical relief it brings.
pub(super) fn pay(r: &mut YearRecord, share: f64, tally: &mut YearTally) -> f64 {
    if r.detected {
        tally.claimed += r.package.cost();
        r.package_share = share;
        r.package = r.package.scaled(share);
    } else {
        r.package = Package::default();
    }
    let pk = r.package;
    pk.medical.min(r.cover.out_of_pocket)
}

/// Count the identified and missed, book the support's costs, place the household in
/// the program monitoring enrols, and count it served or unserved.
pub(super) fn serve(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
    medical_relief: f64,
) {
    let p = ctx.p;
    let mon = &p.policy.monitoring;
    if r.at_risk {
        if let Some(group) = r.risk_group {
            if r.detected {
                tally.detected_by_group[group as usize] += 1;
            } else {
                tally.missed_by_group[group as usize] += 1;
            }
        }
        if r.detected {
            tally.detected += 1;
        } else {
            tally.missed += 1;
            tally.refused += u64::from(r.refused);
        }
    }
    if r.detected {
        let government = mon.budget_per_household.get();
        let society = mon.social_fund_per_household.get();
        let gov_share = if government + society > 0.0 {
            government / (government + society)
        } else {
            1.0
        };
        let pk = r.package;
        for (program, amount) in [
            (Program::MonitoringTopup, pk.topup + pk.conditional),
            (Program::PublicJobs, pk.job),
            (Program::MonitoringMedical, medical_relief),
        ] {
            tally.spend(program, Actor::Government, amount * gov_share);
            tally.spend(program, Actor::Society, amount * (1.0 - gov_share));
        }
        // The industry measure: a household in no program joins one.
        if let Some(i) = ctx.enrol_program
            && h.programs == 0
        {
            h.programs |= 1 << i;
            r.enrolled = true;
        }
        let industry_measure =
            p.policy.industry.enabled && ctx.enrolled(h.programs).next().is_some();
        r.served = pk.cost() > 0.0 || industry_measure;
        if r.served {
            tally.served += 1;
            if let Some(group) = r.risk_group {
                tally.served_by_group[group as usize] += 1;
            }
        } else {
            tally.unserved += 1;
        }
    }
}

/// Keep the household under monitoring, or mark its risk eliminated.
pub(super) fn follow(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
) {
    let mon = &ctx.p.policy.monitoring;
    if mon.enabled {
        if r.detected {
            h.set_monitored(true);
        }
        if h.monitored() {
            // Risk is marked eliminated (风险消除) after `exit_years` year-ends with
            // a stable income above tau (its own, before the package, and after
            // rigid spending) and no new risk; a household with no labour capacity
            // stays monitored unless the scenario lets it leave.
            let stable = !r.risk
                && if mon.exit_when_risk_passes {
                    r.y >= ctx.z
                } else {
                    r.register_income(h.size) >= ctx.tau && r.y >= ctx.tau
                };
            if stable {
                h.years_above = h.years_above.saturating_add(1);
                let can_leave = mon.exit_without_labour || h.labour > 0;
                if u32::from(h.years_above) >= mon.exit_years && can_leave {
                    h.set_monitored(false);
                    h.years_above = 0;
                    r.exited = true;
                    tally.exited += 1;
                }
            } else {
                h.years_above = 0;
            }
        }
    } else {
        h.set_monitored(false);
    }
}

/// A household newly identified this year, as the county's admission under the scale
/// rule (`scale_share`) ranks it: by need, then by index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Per-capita income after rigid spending, before support (`YearRecord::y_pre`).
    pub y_pre: f64,
    /// The household's index.
    pub id: u32,
    /// Persons.
    pub persons: u8,
}

impl Candidate {
    /// The candidate a newly identified household's record makes, `None` for any other.
    pub fn of(r: &YearRecord, size: u8) -> Option<Candidate> {
        r.newly_detected.then_some(Candidate {
            y_pre: r.y_pre,
            id: r.id,
            persons: size,
        })
    }

    fn rank(&self, other: &Candidate) -> std::cmp::Ordering {
        self.y_pre
            .total_cmp(&other.y_pre)
            .then(self.id.cmp(&other.id))
    }
}

/// Which of the year's newly identified households the county admits: all of them,
/// or those ranked at or before the last that fitted under the scale rule.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Admission {
    /// No limit, or the year's identifications fit under it.
    #[default]
    All,
    /// Those ranked at or before this candidate (none if `None`).
    UpTo(Option<Candidate>),
}

impl Admission {
    /// The admissions of a year in which households of `registered` persons are on the
    /// register and `monitored` persons are monitoring objects at its start, and
    /// `candidates` (in any order; sorted here) are newly identified.
    pub fn decide(
        mon: &Monitoring,
        registered: u64,
        monitored: u64,
        candidates: &mut [Candidate],
    ) -> Admission {
        let share = mon.scale_share.get();
        if share <= 0.0 {
            return Admission::All;
        }
        let limit = share * registered as f64;
        let room = limit - monitored as f64;
        let asked: u64 = candidates.iter().map(|c| u64::from(c.persons)).sum();
        if asked as f64 <= room {
            return Admission::All;
        }
        candidates.sort_unstable_by(Candidate::rank);
        let mut taken = 0u64;
        let mut last = None;
        for c in candidates.iter() {
            taken += u64::from(c.persons);
            if taken as f64 > room {
                break;
            }
            last = Some(*c);
        }
        Admission::UpTo(last)
    }

    /// Whether the household whose record is `r` (of `size` persons) is admitted:
    /// every household but a newly identified one ranked after the last admitted.
    pub fn admits(&self, r: &YearRecord, size: u8) -> bool {
        Candidate::of(r, size).is_none_or(|c| self.admits_candidate(&c))
    }

    /// Whether candidate `c` is admitted.
    pub fn admits_candidate(&self, c: &Candidate) -> bool {
        match self {
            Admission::All => true,
            Admission::UpTo(None) => false,
            Admission::UpTo(Some(last)) => c.rank(last).is_le(),
        }
    }
}

/// A newly identified household the scale rule leaves out: at risk, not detected, and
/// claiming nothing, as if it had been missed.
pub fn refuse(r: &mut YearRecord) {
    r.refused = true;
    r.detected = false;
    r.newly_detected = false;
    r.package = Package::default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Source;

    fn monitoring(share: f64) -> Monitoring {
        let s = Source::new(None)
            .flag("policy.monitoring.scale_share", share, "test")
            .load()
            .unwrap();
        s.params.policy.monitoring
    }

    fn candidate(y_pre: f64, id: u32, persons: u8) -> Candidate {
        Candidate { y_pre, id, persons }
    }

    #[test]
    fn admission_counts_persons_and_ranks_by_need_then_index() {
        let mon = monitoring(0.05);
        // A limit of 0.05 x 200 = 10 persons, 4 of them monitored: room for 6.
        let mut asked = [
            candidate(3000.0, 7, 4),
            candidate(1000.0, 9, 2),
            candidate(3000.0, 2, 3),
            candidate(5000.0, 1, 1),
        ];
        let admission = Admission::decide(&mon, 200, 4, &mut asked);
        // 2 persons at 1,000, then 3 at 3,000 (index 2 before 7): 5; index 7's 4 more
        // do not fit, and nothing ranked after it is admitted.
        assert_eq!(admission, Admission::UpTo(Some(candidate(3000.0, 2, 3))));
        let admitted: Vec<u32> = asked
            .iter()
            .filter(|c| admission.admits_candidate(c))
            .map(|c| c.id)
            .collect();
        assert_eq!(admitted, [9, 2]);
        // Everyone fits with room for 10; none with the stock at the limit; no limit at 0.
        assert_eq!(Admission::decide(&mon, 200, 0, &mut asked), Admission::All);
        assert_eq!(
            Admission::decide(&mon, 200, 10, &mut asked),
            Admission::UpTo(None)
        );
        assert_eq!(
            Admission::decide(&monitoring(0.0), 200, 10, &mut asked),
            Admission::All
        );
        // A household that is not newly identified is never refused.
        let mut r = YearRecord {
            detected: true,
            ..YearRecord::default()
        };
        assert!(Admission::UpTo(None).admits(&r, 4));
        r.newly_detected = true;
        assert!(!Admission::UpTo(None).admits(&r, 4));
        refuse(&mut r);
        assert!(r.refused && !r.detected && !r.newly_detected);
    }
}
