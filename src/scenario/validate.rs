//! Range checks on typed parameters. Each rule names the key and what is valid.

use super::error::{Origin, ScenarioError};
use super::params::Params;

/// Largest population a run may ask for; memory and time are checked later too.
pub const MAX_HOUSEHOLDS: u64 = 100_000_000;
/// Longest horizon a run may ask for (years).
pub const MAX_YEARS: u32 = 200;
/// Longest burn-in (years).
pub const MAX_BURN_IN_YEARS: u32 = 50;
const MAX_REPLICATIONS: u32 = 100_000;

struct Checker<'a> {
    origin: &'a dyn Fn(&str) -> Origin,
}

impl Checker<'_> {
    fn fail(&self, key: &str, value: impl ToString, rule: &str) -> ScenarioError {
        ScenarioError::OutOfRange {
            at: (self.origin)(key),
            key: key.into(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }

    /// A rule that spans several keys fails: name the one set last (a command-line flag
    /// before a scenario file, a file before the built-in baseline), since that is the
    /// one the user just changed; on a tie, the first. Each key comes with the value to
    /// show for it.
    fn fail_among(&self, keys: &[(&str, String)], rule: &str) -> ScenarioError {
        let rank = |key: &str| {
            let at = (self.origin)(key);
            if at.source == super::BASELINE_SOURCE {
                0
            } else if at.line == 0 {
                2
            } else {
                1
            }
        };
        let mut pick = &keys[0];
        for k in keys {
            if rank(k.0) > rank(pick.0) {
                pick = k;
            }
        }
        self.fail(pick.0, &pick.1, rule)
    }

    fn range(&self, key: &str, v: f64, lo: f64, hi: f64, rule: &str) -> Result<(), ScenarioError> {
        if v.is_finite() && v >= lo && v <= hi {
            Ok(())
        } else {
            Err(self.fail(key, v, rule))
        }
    }

    fn nonneg(&self, key: &str, v: f64) -> Result<(), ScenarioError> {
        self.range(key, v, 0.0, 1e6, "must be >= 0")
    }

    fn positive(&self, key: &str, v: f64, rule: &str) -> Result<(), ScenarioError> {
        if v.is_finite() && v > 0.0 && v < 1e12 {
            Ok(())
        } else {
            Err(self.fail(key, v, rule))
        }
    }

    fn count(&self, key: &str, v: u64, max: u64, what: &str) -> Result<(), ScenarioError> {
        if v >= 1 && v <= max {
            Ok(())
        } else {
            Err(self.fail(
                key,
                v,
                &format!("{what} must be a whole number from 1 to {max}"),
            ))
        }
    }
}

/// Check every range rule; `origin` maps a key to where it was set.
pub fn check(p: &Params, origin: &dyn Fn(&str) -> Origin) -> Result<(), ScenarioError> {
    let c = Checker { origin };
    let s = &p.simulation;
    c.count(
        "simulation.households",
        s.households,
        MAX_HOUSEHOLDS,
        "the number of households",
    )?;
    c.count(
        "simulation.years",
        u64::from(s.years),
        u64::from(MAX_YEARS),
        "the number of years",
    )?;
    c.count(
        "simulation.replications",
        u64::from(s.replications),
        u64::from(MAX_REPLICATIONS),
        "the number of replications",
    )?;
    c.count(
        "simulation.villages",
        u64::from(s.villages),
        65_535,
        "the number of villages",
    )?;
    if s.burn_in_years > MAX_BURN_IN_YEARS {
        return Err(c.fail(
            "simulation.burn_in_years",
            s.burn_in_years,
            "burn-in must be from 0 to 50 years",
        ));
    }
    if !(1900..=2200).contains(&s.start_year) {
        return Err(c.fail(
            "simulation.start_year",
            s.start_year,
            "a start year must be between 1900 and 2200",
        ));
    }

    c.positive(
        "poverty_line.base",
        p.poverty_line.base,
        "the poverty line must be > 0 CNY per person",
    )?;
    c.range(
        "poverty_line.annual_growth",
        p.poverty_line.annual_growth,
        -0.5,
        1.0,
        "annual growth must be in [-0.5, 1]",
    )?;
    c.count(
        "poverty_line.panel_interval",
        u64::from(p.poverty_line.panel_interval),
        5,
        "the years between panel observations",
    )?;

    let pop = &p.population;
    c.nonneg("population.land_mean", pop.land_mean)?;
    if pop.lifted_share.get() + pop.marginal_share.get() > 1.0 {
        return Err(c.fail_among(
            &[
                ("population.marginal_share", pop.marginal_share.to_string()),
                ("population.lifted_share", pop.lifted_share.to_string()),
            ],
            &format!(
                "lifted_share + marginal_share must be <= 1 (lifted_share is {}, marginal_share {})",
                pop.lifted_share, pop.marginal_share
            ),
        ));
    }
    c.range(
        "population.household_size_mean",
        pop.household_size_mean,
        1.0,
        20.0,
        "mean household size must be in [1, 20] persons",
    )?;
    c.range(
        "population.head_age_mean",
        pop.head_age_mean,
        16.0,
        100.0,
        "mean head age must be in [16, 100]",
    )?;
    c.nonneg("population.head_age_sd", pop.head_age_sd)?;
    c.range(
        "population.schooling_mean",
        pop.schooling_mean,
        0.0,
        20.0,
        "mean schooling must be in [0, 20] years",
    )?;
    c.nonneg("population.schooling_sd", pop.schooling_sd)?;
    c.range(
        "population.schooling_max",
        pop.schooling_max,
        pop.schooling_mean.max(1.0),
        40.0,
        &format!(
            "must be in [schooling_mean, 40] years (schooling_mean is {})",
            pop.schooling_mean
        ),
    )?;
    c.range(
        "population.registered_schooling_gap",
        pop.registered_schooling_gap,
        -20.0,
        20.0,
        "must be in [-20, 20] years",
    )?;
    c.range(
        "population.land_sigma",
        pop.land_sigma,
        0.0,
        5.0,
        "a log-normal sigma must be in [0, 5]",
    )?;
    c.range(
        "population.assets_sigma",
        pop.assets_sigma,
        0.0,
        5.0,
        "a log-normal sigma must be in [0, 5]",
    )?;
    c.range(
        "population.permanent_sd",
        pop.permanent_sd,
        0.0,
        5.0,
        "a log standard deviation must be in [0, 5]",
    )?;
    c.range(
        "population.lifted_income_shift",
        pop.lifted_income_shift,
        -5.0,
        5.0,
        "a log-income shift must be in [-5, 5]",
    )?;
    c.range(
        "population.marginal_income_shift",
        pop.marginal_income_shift,
        -5.0,
        5.0,
        "a log-income shift must be in [-5, 5]",
    )?;
    let fx = &pop.cause_effects;
    c.range(
        "population.cause_effects.skills_schooling_gap",
        fx.skills_schooling_gap,
        0.0,
        20.0,
        "must be in [0, 20] years",
    )?;
    for (k, v) in [
        ("illness_chronic_members", fx.illness_chronic_members),
        ("labour_units_lost", fx.labour_units_lost),
        ("disability_members", fx.disability_members),
    ] {
        c.range(
            &format!("population.cause_effects.{k}"),
            f64::from(v),
            0.0,
            12.0,
            "a number of members must be from 0 to 12 (the largest household)",
        )?;
    }
    c.range(
        "population.motivation_concentration",
        pop.motivation_concentration,
        0.01,
        1e4,
        "a Beta concentration must be > 0",
    )?;
    let mut total = 0.0;
    let mut cause_keys = Vec::new();
    for (k, v) in pop.causes.shares() {
        let key = format!("population.causes.{k}");
        total += v;
        cause_keys.push(key);
    }
    if (total - 1.0).abs() > 1e-6 {
        let keys: Vec<(&str, String)> = cause_keys
            .iter()
            .map(|k| (k.as_str(), total.to_string()))
            .collect();
        return Err(c.fail_among(
            &keys,
            "the shares in [population.causes] must sum to 1; this is their sum",
        ));
    }

    let inc = &p.income;
    c.range(
        "income.nominal_growth",
        inc.nominal_growth,
        -0.5,
        1.0,
        "annual growth must be in [-0.5, 1]",
    )?;
    c.range(
        "income.wage_sigma",
        inc.wage_sigma,
        0.0,
        5.0,
        "a log-normal sigma must be in [0, 5]",
    )?;
    c.range(
        "income.employment_schooling_effect",
        inc.employment_schooling_effect,
        -10.0,
        10.0,
        "a logit effect must be in [-10, 10]",
    )?;
    c.range(
        "income.employment_motivation_effect",
        inc.employment_motivation_effect,
        -10.0,
        10.0,
        "a logit effect must be in [-10, 10]",
    )?;
    c.range(
        "income.asset_return",
        inc.asset_return,
        -1.0,
        1.0,
        "an asset return must be in [-1, 1]",
    )?;

    let d = &p.demography;
    c.range(
        "demography.retirement_age",
        d.retirement_age,
        16.0,
        120.0,
        "an age must be in [16, 120]",
    )?;
    c.range(
        "demography.succession_age",
        d.succession_age,
        30.0,
        120.0,
        "an age must be in [30, 120]",
    )?;
    c.range(
        "demography.successor_age",
        d.successor_age,
        16.0,
        100.0,
        "an age must be in [16, 100]",
    )?;
    if d.successor_age >= d.succession_age {
        return Err(c.fail_among(
            &[
                ("demography.successor_age", d.successor_age.to_string()),
                ("demography.succession_age", d.succession_age.to_string()),
            ],
            &format!(
                "the successor must be younger than the age of succession (successor_age {}, succession_age {})",
                d.successor_age, d.succession_age
            ),
        ));
    }
    c.range(
        "demography.elderly_age",
        d.elderly_age,
        16.0,
        120.0,
        "an age must be in [16, 120]",
    )?;

    let f = &p.finance;
    c.nonneg("finance.consumption_floor_ratio", f.consumption_floor_ratio)?;

    let sh = &p.shocks;
    c.range(
        "shocks.income.rho",
        sh.income.rho,
        0.0,
        0.99,
        "persistence rho must be in [0, 0.99]",
    )?;
    c.range(
        "shocks.income.persistent_sd",
        sh.income.persistent_sd,
        0.0,
        3.0,
        "a log standard deviation must be in [0, 3]",
    )?;
    c.range(
        "shocks.income.transitory_sd",
        sh.income.transitory_sd,
        0.0,
        3.0,
        "a log standard deviation must be in [0, 3]",
    )?;
    let il = &sh.illness;
    c.range(
        "shocks.illness.age_slope",
        il.age_slope,
        0.0,
        1.0,
        "must be in [0, 1] per year",
    )?;
    c.range(
        "shocks.illness.age_pivot",
        il.age_pivot,
        0.0,
        120.0,
        "an age must be in [0, 120]",
    )?;
    c.range(
        "shocks.illness.chronic_multiplier",
        il.chronic_multiplier,
        0.0,
        100.0,
        "a multiplier must be in [0, 100]",
    )?;
    c.range(
        "shocks.illness.cost_sigma",
        il.cost_sigma,
        0.0,
        5.0,
        "a log-normal sigma must be in [0, 5]",
    )?;
    for (name, h) in [
        ("drought", &sh.drought),
        ("hail", &sh.hail),
        ("frost", &sh.frost),
        ("sandstorm", &sh.sandstorm),
    ] {
        let k = |f: &str| format!("shocks.{name}.{f}");
        c.range(
            &k("loss_concentration"),
            h.loss_concentration,
            0.01,
            1e4,
            "a Beta concentration must be > 0",
        )?;
    }
    c.range(
        "shocks.disaster_spread",
        sh.disaster_spread,
        0.0,
        3.0,
        "a log standard deviation must be in [0, 3]",
    )?;
    c.range(
        "shocks.price.sd",
        sh.price.sd,
        0.0,
        3.0,
        "a log standard deviation must be in [0, 3]",
    )?;

    let reg = &p.policy.register;
    if !(1..=100).contains(&reg.rescue_years) {
        return Err(c.fail(
            "policy.register.rescue_years",
            reg.rescue_years,
            "rescue_years must be in [1, 100]: 1 verifies a monitored household at its first year-end below the line",
        ));
    }

    let m = &p.policy.monitoring;
    c.range(
        "policy.monitoring.threshold_ratio",
        m.threshold_ratio,
        0.0,
        20.0,
        "the threshold ratio must be in [0, 20] times the poverty line",
    )?;
    if m.exit_years > 100 {
        return Err(c.fail(
            "policy.monitoring.exit_years",
            m.exit_years,
            "exit_years must be in [0, 100]",
        ));
    }
    if !m.enrol_program.is_empty() && !p.policy.industry.programs.contains_key(&m.enrol_program) {
        let names: Vec<&str> = p
            .policy
            .industry
            .programs
            .keys()
            .map(String::as_str)
            .collect();
        return Err(c.fail(
            "policy.monitoring.enrol_program",
            format!("{:?}", m.enrol_program),
            &format!(
                "must name a program in [policy.industry.programs] ({}) or be \"\"",
                names.join(", ")
            ),
        ));
    }

    let ind = &p.policy.industry;
    if ind.programs.len() > 16 {
        return Err(c.fail(
            "policy.industry.programs",
            ind.programs.len(),
            "at most 16 industry programs",
        ));
    }
    for (name, pr) in &ind.programs {
        let k = |f: &str| format!("policy.industry.programs.{name}.{f}");
        c.range(
            &k("income_sigma"),
            pr.income_sigma,
            0.0,
            5.0,
            "a log-normal sigma must be in [0, 5]",
        )?;
        c.range(
            &k("motivation_effect"),
            pr.motivation_effect,
            0.0,
            2.0,
            "must be in [0, 2] so that income stays >= 0",
        )?;
    }

    let ss = &p.policy.social_security;
    let si = &ss.serious_illness;
    if si.reimbursement.get() + si.priority_bonus.get() > 1.0 {
        return Err(c.fail_among(
            &[
                (
                    "policy.social_security.serious_illness.priority_bonus",
                    si.priority_bonus.to_string(),
                ),
                (
                    "policy.social_security.serious_illness.reimbursement",
                    si.reimbursement.to_string(),
                ),
            ],
            &format!(
                "reimbursement + priority_bonus must be <= 1 (reimbursement {}, priority_bonus {})",
                si.reimbursement, si.priority_bonus
            ),
        ));
    }
    let db = &ss.dibao;
    c.range(
        "policy.social_security.dibao.standard_growth",
        db.standard_growth,
        -0.5,
        1.0,
        "annual growth must be in [-0.5, 1]",
    )?;
    c.range(
        "policy.social_security.dibao.inclusion_band",
        db.inclusion_band,
        1.0,
        10.0,
        "the inclusion band must be in [1, 10] times the standard",
    )?;
    c.range(
        "policy.social_security.dibao.assessment_smoothing",
        db.assessment_smoothing,
        0.0,
        0.99,
        "the smoothing weight must be in [0, 0.99] (0: last year's income alone)",
    )?;

    let mo = &p.policy.motivation;
    c.range(
        "policy.motivation.training_skill_gain",
        mo.training_skill_gain,
        0.0,
        10.0,
        "must be in [0, 10] years",
    )?;

    if p.behaviour.dependency.full_after_years == 0 || p.behaviour.dependency.full_after_years > 100
    {
        return Err(c.fail(
            "behaviour.dependency.full_after_years",
            p.behaviour.dependency.full_after_years,
            "must be a whole number of years from 1 to 100",
        ));
    }
    Ok(())
}
