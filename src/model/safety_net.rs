//! The safety net (MODEL.md 3.3): dibao enrolment and payment, the basic pension,
//! agricultural insurance, their costs, and the dibao assessment carried to next year.
//! What medical insurance covers is in `health`.

use super::{YearContext, YearDraws, YearRecord};
use crate::metrics::{Program, YearTally};
use crate::policy;
use crate::population::Household;
use crate::rng::Purpose;
use crate::scenario::params::Actor;

/// Dibao enrolment.
pub const DIBAO: Purpose = Purpose::new("safety_net.dibao");

/// Dibao enrolment and payment.
pub(super) fn enrol_dibao(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    d: YearDraws<'_>,
) {
    let ss = &ctx.p.policy.social_security;
    // Dibao enrolment is decided from last year's assessed income, before this year's
    // bills, and brings medical assistance with it.
    let dibao_on = ss.enabled && ss.dibao.enabled;
    let dib = if dibao_on {
        policy::dibao(
            &ss.dibao,
            ctx.dibao_standard,
            f64::from(h.assessed),
            f64::from(h.size),
            h.on_dibao(),
            h.dibao_access.get(),
            || d.dibao(),
        )
    } else {
        policy::DibaoDecision::default()
    };
    h.set_on_dibao(dib.enrolled);
    r.on_dibao = dib.enrolled;
    r.dibao = dib.payment;
}

/// The basic pension and agricultural insurance, on `expected_farm` income.
pub(super) fn transfers(
    h: &Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    expected_farm: f64,
) {
    let ss = &ctx.p.policy.social_security;
    if ss.enabled && ss.pension.enabled {
        r.pension = f64::from(h.elderly) * ss.pension.monthly.get() * 12.0;
    }
    if ss.enabled && ss.agricultural_insurance.enabled && h.agri_insured() {
        r.agri = policy::agricultural_insurance(
            &ss.agricultural_insurance,
            expected_farm,
            r.farm_loss_share,
        );
    }
}

/// Book the safety net's costs, and households' own medical spending after
/// monitoring's `medical_relief`.
pub(super) fn book(r: &YearRecord, tally: &mut YearTally, medical_relief: f64) {
    tally.spend(Program::MedicalInsurance, Actor::Government, r.cover.basic);
    tally.spend(Program::SeriousIllness, Actor::Market, r.cover.serious);
    tally.spend(
        Program::MedicalAssistance,
        Actor::Government,
        r.cover.assistance,
    );
    tally.spend(Program::Dibao, Actor::Government, r.dibao);
    tally.spend(Program::Pension, Actor::Government, r.pension);
    let premium = r.agri.farmer_premium + r.agri.subsidy;
    tally.spend(
        Program::AgriculturalInsurance,
        Actor::Government,
        r.agri.subsidy,
    );
    tally.spend(
        Program::AgriculturalInsurance,
        Actor::Households,
        r.agri.farmer_premium,
    );
    tally.spend(
        Program::AgriculturalInsurance,
        Actor::Market,
        r.agri.indemnity - premium,
    );
    // Households' own rigid medical spending is theirs, outside any program.
    tally.actors[Actor::Households as usize] += r.cover.out_of_pocket - medical_relief;
}

/// Next year's dibao assessment: this year's income without dibao and monitoring
/// top-ups, smoothed as `assessment_smoothing` says.
pub(super) fn assess(h: &mut Household, r: &YearRecord, ctx: &YearContext<'_>) {
    let p = ctx.p;
    let size = f64::from(h.size);
    let topup_paid = r.package.topup + r.package.conditional;
    let income = (r.y - (r.dibao + topup_paid) / size).max(-1e9);
    h.assessed = policy::dibao_assessment(&p.policy.social_security.dibao, h.assessed, income);
}
