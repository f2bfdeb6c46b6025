//! Income and jobs (MODEL.md 2.4): the persistent and transitory income shocks, farm
//! and livestock income after the year's disasters, jobs kept and found, wages, and
//! the other transfers (subsidies and remittances).

use super::{YearContext, YearDraws, YearRecord};
use crate::population::{self, Household};
use crate::rng::{Purpose, math};

/// Keeping held jobs.
pub const EMPLOY: Purpose = Purpose::new("income.keep_jobs");
/// Finding jobs.
pub const FIND: Purpose = Purpose::new("income.find_jobs");
/// Held jobs idle for a county-wide job collapse year.
pub const IDLE: Purpose = Purpose::new("income.idled_in_collapse");
/// Persistent income innovation.
pub const PERSISTENT: Purpose = Purpose::new("income.persistent");
/// Transitory income shock.
pub const TRANSITORY: Purpose = Purpose::new("income.transitory");
/// Wage level.
pub const WAGE: Purpose = Purpose::new("income.wage");

/// Earn the year's farm, livestock and wage income and other transfers, keeping
/// `keep_farm` of farm output and `keep_livestock` of livestock returns; returns the
/// expected farm income (before prices and disasters), which agricultural insurance
/// indemnifies against.
pub(super) fn earn(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    d: YearDraws<'_>,
    (keep_farm, keep_livestock): (f64, f64),
) -> f64 {
    let p = ctx.p;
    let g = ctx.growth;
    let inc = &p.income;
    let shocks = &p.shocks.income;
    let transitory = if shocks.enabled {
        h.u = (shocks.rho * f64::from(h.u) + shocks.persistent_sd * d.persistent()) as f32;
        // With no transitory shock its draw is not made (0 * draw would add only
        // a signed zero to the sum below, which changes no bit of the multiplier).
        if shocks.transitory_sd == 0.0 {
            0.0
        } else {
            shocks.transitory_sd * d.transitory()
        }
    } else {
        h.u = 0.0;
        0.0
    };
    let multiplier =
        math::exp(f64::from(h.alpha) + f64::from(h.u) + transitory - ctx.variance_correction);
    let irrigated = h.irrigated.get();
    let per_mu = irrigated * inc.farm_net_per_mu_irrigated.get()
        + (1.0 - irrigated) * inc.farm_net_per_mu_dry.get();
    let expected_farm = f64::from(h.land) * per_mu * g * multiplier;
    let potential_farm = expected_farm * ctx.county.price;
    r.farm = potential_farm * keep_farm;
    let potential_assets = f64::from(h.assets) * inc.asset_return * g * multiplier;
    r.assets = potential_assets * keep_livestock;
    r.disaster_loss = (potential_farm - r.farm) + (potential_assets - r.assets);
    // Livestock that dies is gone: the stock, and later years' returns, fall.
    h.assets = (f64::from(h.assets) * keep_livestock) as f32;

    r.working = h
        .labour
        .saturating_sub(u8::from(r.labour_lost && !r.labour_left));
    // Jobs persist: a held job is kept with probability 1 - separation, an idle unit
    // finds one at the rate that makes `employment_probability` the steady state. A
    // county-wide job collapse is a bad year, not a lost job (MODEL.md 2.4): a kept
    // job is idle for the year with probability 1 - `employment_multiplier`, and its
    // worker is back at it the next year.
    let sep = inc.job_separation.get();
    r.job_shock = ctx.county.job_shock;
    let shock = if r.job_shock {
        p.shocks.job_loss.employment_multiplier.get()
    } else {
        1.0
    };
    let held = h.jobs.min(r.working);
    let kept = if held > 0 {
        population::binomial(u32::from(held), 1.0 - sep, d.employ())
    } else {
        0
    };
    let at_work = if r.job_shock && kept > 0 {
        population::binomial(kept, shock, d.idle())
    } else {
        kept
    };
    // The finding rate (a logistic, so an `exp`) matters only for idle units.
    let found = if r.working > held {
        let p_star = population::employment_probability_at(
            p,
            ctx.employment_logit,
            f64::from(h.skill),
            h.m.get(),
        );
        let mut find = if p_star >= 1.0 {
            1.0
        } else {
            (sep * p_star / (1.0 - p_star)).min(1.0)
        };
        if r.job_shock {
            find *= shock;
        }
        population::binomial(u32::from(r.working - held), find, d.find())
    } else {
        0
    };
    r.employed = (at_work + found) as u8;
    r.job_lost = at_work < u32::from(held);
    h.jobs = (kept + found) as u8;
    let ws = inc.wage_sigma;
    r.wage = if r.employed > 0 {
        f64::from(r.employed)
            * inc.wage_mean.get()
            * g
            * math::exp(ws * d.wage() - ws * ws / 2.0)
            * multiplier
    } else {
        0.0
    };
    r.other_transfers = inc.other_transfers_per_capita.get() * f64::from(h.size) * g;
    expected_farm
}

/// Gross income: every component, net of the farmer's insurance premium.
pub(super) fn gross(r: &mut YearRecord) {
    r.gross = r.farm
        + r.wage
        + r.assets
        + r.industry
        + r.dibao
        + r.pension
        + r.other_transfers
        + r.agri.indemnity
        - r.agri.farmer_premium;
}
