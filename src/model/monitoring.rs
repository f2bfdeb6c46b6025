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
