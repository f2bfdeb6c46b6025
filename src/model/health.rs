//! Health (MODEL.md 2.2): serious illness, its cost and the labour it takes; chronic
//! disease; and what the medical schemes cover of the year's bills.

use super::{YearContext, YearDraws, YearRecord};
use crate::policy::{self, HealthCover};
use crate::population::Household;
use crate::rng::{Purpose, math};

/// Serious illness.
pub const ILL: Purpose = Purpose::new("health.ill");
/// Illness takes a labour unit out of work.
pub const ILL_LABOUR: Purpose = Purpose::new("health.labour_loss");
/// Illness becomes chronic.
pub const ILL_CHRONIC: Purpose = Purpose::new("health.chronic_onset");
/// Illness cost.
pub const ILL_COST: Purpose = Purpose::new("health.cost");

/// The year's illness: whether a member falls seriously ill, what it costs, whether it
/// takes a worker out, and the chronic illnesses' bills.
pub(super) fn fall_ill(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    d: YearDraws<'_>,
) {
    let p = ctx.p;
    let g = ctx.growth;
    let ill = &p.shocks.illness;
    if ill.enabled {
        let age_factor = 1.0 + ill.age_slope * (f64::from(h.head_age) - ill.age_pivot).max(0.0);
        let chronic_factor = if h.chronic > 0 {
            ill.chronic_multiplier
        } else {
            1.0
        };
        let prob = (ill.probability.get() * age_factor * chronic_factor).min(1.0);
        r.ill = d.ill() < prob;
        // A worker still recovering from an earlier illness stays out this year.
        if h.sick_years > 0 {
            h.sick_years -= 1;
            r.labour_lost = true;
        }
        if r.ill {
            r.illness_cost = ill.cost_median.get() * g * math::exp(ill.cost_sigma * d.ill_cost());
            if d.ill_labour() < ill.labour_loss_probability.get() {
                r.labour_lost = true;
                h.sick_years = ill.labour_loss_years.saturating_sub(1).min(255) as u8;
            }
            if d.ill_chronic() < ill.chronic_onset_probability.get() && h.chronic < h.size {
                h.chronic += 1;
                r.became_chronic = true;
                // A worker whose illness turns chronic does not come back to work.
                if r.labour_lost && h.labour > 0 {
                    h.labour -= 1;
                    r.labour_left = true;
                }
            }
        }
        r.medical_bill = r.illness_cost + f64::from(h.chronic) * ill.chronic_annual_cost.get() * g;
    }
}

/// What basic medical insurance, serious-illness insurance and medical assistance pay
/// of the year's bills (after dibao enrolment, which brings medical assistance).
pub(super) fn cover(h: &Household, r: &mut YearRecord, ctx: &YearContext<'_>) {
    let ss = &ctx.p.policy.social_security;
    let cover = HealthCover {
        basic: (ss.enabled && ss.medical_insurance.enabled).then_some(&ss.medical_insurance),
        serious: (ss.enabled && ss.serious_illness.enabled).then_some(&ss.serious_illness),
        assistance: (ss.enabled && ss.medical_assistance.enabled).then_some(&ss.medical_assistance),
    };
    r.cover = policy::medical_cover(
        r.medical_bill,
        &cover,
        h.medical_insured(),
        h.on_dibao() || h.monitored(),
        h.on_dibao(),
    );
}
