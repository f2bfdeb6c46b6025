//! The countermeasures and the safety net as pure functions of a household's year.
//!
//! Each function takes plain numbers and parameters and returns what the policy pays,
//! so that every rule can be tested on hand-made households. The model
//! ([`crate::model`]) calls them in the order of MODEL.md section 2.

use crate::scenario::params::{
    AgriculturalInsurance, Dibao, DibaoMode, MedicalAssistance, MedicalInsurance, Monitoring,
    MotivationPolicy, SeriousIllness,
};

/// What each layer of health cover paid on one year's medical bill.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MedicalCover {
    /// Basic medical insurance.
    pub basic: f64,
    /// Serious-illness insurance.
    pub serious: f64,
    /// Medical assistance.
    pub assistance: f64,
    /// What is left to the household.
    pub out_of_pocket: f64,
}

/// The switches of the health-cover chain in force.
#[derive(Debug, Clone, Copy)]
pub struct HealthCover<'a> {
    /// Basic insurance, if in force.
    pub basic: Option<&'a MedicalInsurance>,
    /// Serious-illness insurance, if in force.
    pub serious: Option<&'a SeriousIllness>,
    /// Medical assistance, if in force.
    pub assistance: Option<&'a MedicalAssistance>,
}

/// Apply basic insurance, then serious-illness insurance on what remains, then medical
/// assistance (for dibao households) on what remains after that.
///
/// `insured`: enrolled in basic insurance (serious-illness cover rides on it).
/// `priority`: dibao or monitored (halved deductible, bonus, no cap).
/// `dibao`: receives medical assistance.
pub fn medical_cover(
    bill: f64,
    cover: &HealthCover<'_>,
    insured: bool,
    priority: bool,
    dibao: bool,
) -> MedicalCover {
    let mut rest = bill.max(0.0);
    let basic = match cover.basic {
        Some(mi) if insured => {
            (mi.reimbursement.get() * (rest - mi.deductible.get()).max(0.0)).min(mi.cap.get())
        }
        _ => 0.0,
    };
    rest -= basic;
    let serious = match cover.serious {
        Some(si) if insured => {
            let (ded, rate) = if priority {
                (
                    si.deductible.get() * si.priority_deductible_factor.get(),
                    si.reimbursement.get() + si.priority_bonus.get(),
                )
            } else {
                (si.deductible.get(), si.reimbursement.get())
            };
            let paid = rate * (rest - ded).max(0.0);
            if priority {
                paid
            } else {
                paid.min(si.cap.get())
            }
        }
        _ => 0.0,
    };
    rest -= serious;
    let assistance = match cover.assistance {
        Some(ma) if dibao => (ma.reimbursement.get() * rest).min(ma.cap.get()),
        _ => 0.0,
    };
    rest -= assistance;
    MedicalCover {
        basic,
        serious,
        assistance,
        out_of_pocket: rest.max(0.0),
    }
}

/// Dibao status and payment for the year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DibaoDecision {
    /// Enrolled this year.
    pub enrolled: bool,
    /// Eligible by the income test (assessed income below the standard).
    pub eligible: bool,
    /// Payment to the household (CNY).
    pub payment: f64,
}

/// The dibao assessment of a household not yet assessed: above every standard, so it
/// is not eligible before its first assessment.
pub const NOT_ASSESSED: f32 = f32::MAX;

/// Next year's dibao assessment from this year's per-capita income without dibao and
/// top-ups: `(1 - s) × income + s × previous` with `s = assessment_smoothing`, so that
/// one bad year moves the assessment only in part; a household not yet assessed
/// ([`NOT_ASSESSED`]) is assessed on its income alone.
pub fn dibao_assessment(d: &Dibao, previous: f32, income: f64) -> f32 {
    if previous == NOT_ASSESSED {
        return income as f32;
    }
    let s = d.assessment_smoothing;
    ((1.0 - s) * income + s * f64::from(previous)) as f32
}

/// Decide dibao from the assessed per-capita income (see [`dibao_assessment`]).
///
/// An eligible household is enrolled when its fixed `access` draw is below `coverage`
/// (exclusion errors persist: the same households are missed year after year), or if
/// it was enrolled last year; an ineligible household below `inclusion_band` times the
/// standard is enrolled when this year's `draw` (made only for such a household) is
/// below `inclusion_error`.
/// In `gap` mode an eligible household receives the gap to the standard (at least
/// `fixed_amount`) per person; others enrolled get `fixed_amount` per person.
pub fn dibao(
    d: &Dibao,
    standard: f64,
    assessed: f64,
    size: f64,
    enrolled_before: bool,
    access: f64,
    draw: impl FnOnce() -> f64,
) -> DibaoDecision {
    let eligible = assessed < standard;
    let enrolled = if eligible {
        enrolled_before || access < d.coverage.get()
    } else {
        assessed < d.inclusion_band * standard && draw() < d.inclusion_error.get()
    };
    if !enrolled {
        return DibaoDecision {
            enrolled,
            eligible,
            payment: 0.0,
        };
    }
    let per_person = match d.mode {
        DibaoMode::Gap if eligible => (standard - assessed).max(d.fixed_amount.get()),
        _ => d.fixed_amount.get(),
    };
    DibaoDecision {
        enrolled,
        eligible,
        payment: per_person * size,
    }
}

/// Agricultural insurance for one household-year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AgriCover {
    /// Premium paid by the farmer.
    pub farmer_premium: f64,
    /// Premium subsidy paid by government.
    pub subsidy: f64,
    /// Indemnity paid by the insurer.
    pub indemnity: f64,
}

/// Premium on expected output; indemnity on the loss share above the deductible.
pub fn agricultural_insurance(
    a: &AgriculturalInsurance,
    expected_output: f64,
    loss_share: f64,
) -> AgriCover {
    let premium = a.premium_rate.get() * expected_output;
    AgriCover {
        farmer_premium: premium * a.farmer_premium_share.get(),
        subsidy: premium * (1.0 - a.farmer_premium_share.get()),
        indemnity: a.indemnity.get() * (loss_share - a.deductible.get()).max(0.0) * expected_output,
    }
}

/// Monitoring parameters after coordination (data sharing) is applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectiveMonitoring {
    /// Probability of detecting an at-risk household.
    pub detection: f64,
    /// Share of the year's need that support misses for a newly detected household.
    pub lag: f64,
}

/// Data sharing recovers `data_sharing_detection_gain` of missed detections and cuts
/// `data_sharing_lag_cut` of the lag, both in proportion to `data_sharing`.
pub fn effective_monitoring(m: &Monitoring) -> EffectiveMonitoring {
    let detection = m.detection_rate.get()
        + (1.0 - m.detection_rate.get())
            * m.data_sharing.get()
            * m.data_sharing_detection_gain.get();
    let lag = m.response_lag.get() * (1.0 - m.data_sharing.get() * m.data_sharing_lag_cut.get());
    EffectiveMonitoring {
        detection: detection.clamp(0.0, 1.0),
        lag: lag.clamp(0.0, 1.0),
    }
}

/// A monitored household's support package for the year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Package {
    /// Top-up paid unconditionally (CNY).
    pub topup: f64,
    /// Top-up paid as a reward for work (以奖代补), only when someone works.
    pub conditional: f64,
    /// Public-welfare job wage (CNY).
    pub job: f64,
    /// Extra medical assistance (CNY).
    pub medical: f64,
}

impl Package {
    /// What the package costs.
    pub fn cost(&self) -> f64 {
        self.topup + self.conditional + self.job + self.medical
    }
}

/// The package for a detected at-risk household.
///
/// `gap`: `max(0, tau - y) * size`, with `y` the register's per-capita income; `late`: newly detected this year, so the
/// response lag cuts the top-up and medical help; `idle`: labour units without work;
/// `works`: someone in the household has a job, a condition for the rewarded share.
#[allow(clippy::too_many_arguments)]
pub fn package(
    m: &Monitoring,
    motivation: Option<&MotivationPolicy>,
    lag: f64,
    gap: f64,
    out_of_pocket: f64,
    late: bool,
    idle: u32,
    works: bool,
    wage_growth: f64,
) -> Package {
    let reach = if late { 1.0 - lag } else { 1.0 };
    let topup = m.topup_share.get() * gap.max(0.0) * reach;
    let job = if m.public_jobs && idle > 0 {
        m.public_job_wage.get() * wage_growth
    } else {
        0.0
    };
    let conditional_share = motivation.map_or(0.0, |p| p.conditional_share.get());
    let conditional = if works || job > 0.0 {
        topup * conditional_share
    } else {
        0.0
    };
    Package {
        topup: topup * (1.0 - conditional_share),
        conditional,
        job,
        medical: m.medical_assistance_share.get() * out_of_pocket.max(0.0) * reach,
    }
}

/// The share of every detected household's full package that the year's `budget`
/// pays when the packages claimed cost `claimed` in all: one when they fit, else
/// `budget / claimed`. The budget sizes the packages and does not ration who is
/// served (MODEL.md 3.1): every identified household has assistance measures, as the
/// policy requires (State Council Information Office, 25 Oct 2024), and when funds
/// fall short each package is smaller.
pub fn package_share(claimed: f64, budget: f64) -> f64 {
    if claimed <= budget {
        1.0
    } else {
        (budget / claimed).clamp(0.0, 1.0)
    }
}

impl Package {
    /// The package paid in `share` of each of its amounts.
    pub fn scaled(&self, share: f64) -> Package {
        Package {
            topup: self.topup * share,
            conditional: self.conditional * share,
            job: self.job * share,
            medical: self.medical * share,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn base() -> crate::scenario::Params {
        Scenario::baseline().unwrap().params
    }

    #[test]
    fn basic_insurance_pays_share_above_deductible_up_to_cap() {
        let p = base();
        let mut mi = p.policy.social_security.medical_insurance.clone();
        mi.deductible = 1000.0.try_into().unwrap();
        mi.reimbursement = 0.6.try_into().unwrap();
        mi.cap = 5000.0.try_into().unwrap();
        let cover = HealthCover {
            basic: Some(&mi),
            serious: None,
            assistance: None,
        };
        let c = medical_cover(6000.0, &cover, true, false, false);
        assert!((c.basic - 3000.0).abs() < 1e-9);
        assert!((c.out_of_pocket - 3000.0).abs() < 1e-9);
        let c = medical_cover(20000.0, &cover, true, false, false);
        assert!((c.basic - 5000.0).abs() < 1e-9, "capped");
        let c = medical_cover(500.0, &cover, true, false, false);
        assert_eq!(c.basic, 0.0);
        let c = medical_cover(6000.0, &cover, false, false, false);
        assert_eq!(c.basic, 0.0, "uninsured get nothing");
    }

    #[test]
    fn serious_illness_priority_halves_deductible_and_lifts_cap() {
        let p = base();
        let mut si = p.policy.social_security.serious_illness.clone();
        si.deductible = 10000.0.try_into().unwrap();
        si.reimbursement = 0.6.try_into().unwrap();
        si.cap = 1000.0.try_into().unwrap();
        si.priority_deductible_factor = 0.5.try_into().unwrap();
        si.priority_bonus = 0.05.try_into().unwrap();
        let cover = HealthCover {
            basic: None,
            serious: Some(&si),
            assistance: None,
        };
        let normal = medical_cover(20000.0, &cover, true, false, false);
        assert!((normal.serious - 1000.0).abs() < 1e-9);
        let prio = medical_cover(20000.0, &cover, true, true, false);
        assert!((prio.serious - 0.65 * 15000.0).abs() < 1e-9);
    }

    #[test]
    fn medical_assistance_only_for_dibao() {
        let p = base();
        let ma = p.policy.social_security.medical_assistance.clone();
        let cover = HealthCover {
            basic: None,
            serious: None,
            assistance: Some(&ma),
        };
        let yes = medical_cover(10000.0, &cover, true, false, true);
        assert!((yes.assistance - ma.reimbursement.get() * 10000.0).abs() < 1e-9);
        let no = medical_cover(10000.0, &cover, true, false, false);
        assert_eq!(no.assistance, 0.0);
    }

    #[test]
    fn dibao_fills_gap_only_for_covered() {
        let mut d = base().policy.social_security.dibao;
        d.mode = DibaoMode::Gap;
        d.fixed_amount = 100.0.try_into().unwrap();
        d.coverage = 0.8.try_into().unwrap();
        d.inclusion_error = 0.0.try_into().unwrap();
        let covered = dibao(&d, 5000.0, 3000.0, 4.0, false, 0.5, || 0.5);
        assert!(covered.enrolled && covered.eligible);
        assert!((covered.payment - 8000.0).abs() < 1e-9);
        let missed = dibao(&d, 5000.0, 3000.0, 4.0, false, 0.9, || 0.0);
        assert!(!missed.enrolled && missed.payment == 0.0);
        let stays = dibao(&d, 5000.0, 3000.0, 4.0, true, 0.9, || 0.9);
        assert!(stays.enrolled, "enrolled households stay while eligible");
        let rich = dibao(&d, 5000.0, 9000.0, 4.0, true, 0.0, || 0.0);
        assert!(!rich.enrolled);
        d.mode = DibaoMode::Fixed;
        let fixed = dibao(&d, 5000.0, 3000.0, 4.0, false, 0.5, || 0.5);
        assert!((fixed.payment - 400.0).abs() < 1e-9);
    }

    #[test]
    fn dibao_assessment_moves_part_way_after_one_bad_year() {
        let mut d = base().policy.social_security.dibao;
        d.assessment_smoothing = 0.5;
        assert_eq!(dibao_assessment(&d, 6000.0, 2000.0), 4000.0);
        assert_eq!(
            dibao_assessment(&d, NOT_ASSESSED, 2000.0),
            2000.0,
            "first assessment"
        );
        d.assessment_smoothing = 0.0;
        assert_eq!(dibao_assessment(&d, 6000.0, 2000.0), 2000.0);
        // Two bad years in a row bring a smoothed assessment most of the way down.
        d.assessment_smoothing = 0.5;
        let twice = dibao_assessment(&d, dibao_assessment(&d, 6000.0, 2000.0), 2000.0);
        assert_eq!(twice, 3000.0);
    }

    #[test]
    fn agricultural_insurance_pays_above_deductible() {
        let mut a = base().policy.social_security.agricultural_insurance;
        a.indemnity = 0.4.try_into().unwrap();
        a.deductible = 0.1.try_into().unwrap();
        a.premium_rate = 0.05.try_into().unwrap();
        a.farmer_premium_share = 0.2.try_into().unwrap();
        let c = agricultural_insurance(&a, 10000.0, 0.5);
        assert!((c.indemnity - 1600.0).abs() < 1e-9);
        assert!((c.farmer_premium - 100.0).abs() < 1e-9);
        assert!((c.subsidy - 400.0).abs() < 1e-9);
        assert_eq!(agricultural_insurance(&a, 10000.0, 0.05).indemnity, 0.0);
    }

    #[test]
    fn a_budget_that_binds_pays_every_package_in_the_same_share() {
        assert_eq!(package_share(900.0, 1000.0), 1.0);
        assert_eq!(package_share(0.0, 0.0), 1.0);
        assert!((package_share(4000.0, 1000.0) - 0.25).abs() < 1e-12);
        assert_eq!(package_share(100.0, 0.0), 0.0);
        let pk = Package {
            topup: 2000.0,
            conditional: 400.0,
            job: 6000.0,
            medical: 1000.0,
        };
        let half = pk.scaled(0.5);
        assert!((half.cost() - pk.cost() / 2.0).abs() < 1e-9);
        assert_eq!(half.job, 3000.0);
    }

    #[test]
    fn data_sharing_raises_detection_and_cuts_lag() {
        let mut m = base().policy.monitoring;
        m.detection_rate = 0.5.try_into().unwrap();
        m.response_lag = 0.4.try_into().unwrap();
        m.data_sharing = 0.0.try_into().unwrap();
        let none = effective_monitoring(&m);
        assert!((none.detection - 0.5).abs() < 1e-12 && (none.lag - 0.4).abs() < 1e-12);
        m.data_sharing = 1.0.try_into().unwrap();
        m.data_sharing_detection_gain = 0.5.try_into().unwrap();
        m.data_sharing_lag_cut = 0.5.try_into().unwrap();
        let full = effective_monitoring(&m);
        assert!((full.detection - 0.75).abs() < 1e-12);
        assert!((full.lag - 0.2).abs() < 1e-12);
    }

    #[test]
    fn package_lag_and_conditional_share() {
        let p = base();
        let mut m = p.policy.monitoring.clone();
        m.topup_share = 0.5.try_into().unwrap();
        m.public_jobs = true;
        m.public_job_wage = 6000.0.try_into().unwrap();
        m.medical_assistance_share = 0.5.try_into().unwrap();
        let mut mo = p.policy.motivation.clone();
        mo.conditional_share = 0.5.try_into().unwrap();
        let pk = package(&m, Some(&mo), 0.2, 4000.0, 1000.0, true, 1, false, 1.0);
        assert!((pk.topup - 800.0).abs() < 1e-9);
        assert!(
            (pk.conditional - 800.0).abs() < 1e-9,
            "the job counts as work"
        );
        assert!((pk.job - 6000.0).abs() < 1e-9);
        assert!((pk.medical - 400.0).abs() < 1e-9);
        let idle = package(&m, Some(&mo), 0.2, 4000.0, 0.0, false, 0, false, 1.0);
        assert_eq!(idle.conditional, 0.0, "no work, no reward");
        assert_eq!(idle.job, 0.0);
    }
}
