//! Range checks on typed parameters. Each rule names the key and what is valid.

use super::error::{Origin, ScenarioError};
use super::params::{
    Behaviour, Demography, Finance, Income, Industry, Monitoring, MotivationPolicy, Params, Policy,
    Population, PovertyLine, Register, Shocks, Simulation, SocialSecurity,
};

/// Largest population a run may ask for; memory and time are checked later too.
pub const MAX_HOUSEHOLDS: u64 = 100_000_000;
/// Longest horizon a run may ask for (years).
pub const MAX_YEARS: u32 = 200;
/// Longest burn-in (years).
pub const MAX_BURN_IN_YEARS: u32 = 50;
const MAX_REPLICATIONS: u32 = 100_000;

/// Checks the fields of one part of the parameters: keys are relative to `prefix`
/// (such as `policy.monitoring`), and a failure names the whole dotted key and where it
/// was set.
struct Checker<'a> {
    origin: &'a dyn Fn(&str) -> Origin,
    prefix: String,
}

impl<'a> Checker<'a> {
    /// The checker of the part `name` of this one.
    fn scope(&self, name: &str) -> Checker<'a> {
        Checker {
            origin: self.origin,
            prefix: self.key(name),
        }
    }

    /// The whole dotted key of `key`.
    fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn fail(&self, key: &str, value: impl ToString, rule: &str) -> ScenarioError {
        let key = self.key(key);
        ScenarioError::OutOfRange {
            at: (self.origin)(&key),
            key,
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
            let at = (self.origin)(&self.key(key));
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

/// Check every rule of `p`; `origin` maps a key to where it was set. Each part of the
/// parameters checks its own fields; probabilities, shares and money cannot be out of
/// range (`super::units`), so what is left are the other ranges and the rules that span
/// fields.
pub fn check(p: &Params, origin: &dyn Fn(&str) -> Origin) -> Result<(), ScenarioError> {
    let c = Checker {
        origin,
        prefix: String::new(),
    };
    p.simulation.validate(&c.scope("simulation"))?;
    p.poverty_line.validate(&c.scope("poverty_line"))?;
    p.population.validate(&c.scope("population"))?;
    p.income.validate(&c.scope("income"))?;
    p.demography.validate(&c.scope("demography"))?;
    p.finance.validate(&c.scope("finance"))?;
    p.shocks.validate(&c.scope("shocks"))?;
    p.policy.validate(&c.scope("policy"))?;
    p.behaviour.validate(&c.scope("behaviour"))?;
    Ok(())
}

impl Policy {
    /// Its parts' rules, and the rule that spans monitoring and industry.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        self.register.validate(&c.scope("register"))?;
        self.monitoring.validate(&c.scope("monitoring"))?;
        self.industry.validate(&c.scope("industry"))?;
        self.social_security.validate(&c.scope("social_security"))?;
        self.motivation.validate(&c.scope("motivation"))?;
        if !self.monitoring.enrol_program.is_empty()
            && !self
                .industry
                .programs
                .contains_key(&self.monitoring.enrol_program)
        {
            let names: Vec<&str> = self.industry.programs.keys().map(String::as_str).collect();
            return Err(c.fail(
                "monitoring.enrol_program",
                format!("{:?}", self.monitoring.enrol_program),
                &format!(
                    "must name a program in [policy.industry.programs] ({}) or be \"\"",
                    names.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

impl Simulation {
    /// The rules of `[simulation]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.count(
            "households",
            self.households,
            MAX_HOUSEHOLDS,
            "the number of households",
        )?;
        c.count(
            "years",
            u64::from(self.years),
            u64::from(MAX_YEARS),
            "the number of years",
        )?;
        c.count(
            "replications",
            u64::from(self.replications),
            u64::from(MAX_REPLICATIONS),
            "the number of replications",
        )?;
        c.count(
            "villages",
            u64::from(self.villages),
            65_535,
            "the number of villages",
        )?;
        if self.burn_in_years > MAX_BURN_IN_YEARS {
            return Err(c.fail(
                "burn_in_years",
                self.burn_in_years,
                "burn-in must be from 0 to 50 years",
            ));
        }
        if !(1900..=2200).contains(&self.start_year) {
            return Err(c.fail(
                "start_year",
                self.start_year,
                "a start year must be between 1900 and 2200",
            ));
        }
        Ok(())
    }
}

impl PovertyLine {
    /// The rules of `[poverty_line]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.positive(
            "base",
            self.base,
            "the poverty line must be > 0 CNY per person",
        )?;
        c.range(
            "annual_growth",
            self.annual_growth,
            -0.5,
            1.0,
            "annual growth must be in [-0.5, 1]",
        )?;
        c.count(
            "panel_interval",
            u64::from(self.panel_interval),
            5,
            "the years between panel observations",
        )?;
        Ok(())
    }
}

impl Population {
    /// The rules of `[population]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.nonneg("land_mean", self.land_mean)?;
        if self.lifted_share.get() + self.marginal_share.get() > 1.0 {
            return Err(c.fail_among(
                &[
                    ("marginal_share", self.marginal_share.to_string()),
                    ("lifted_share", self.lifted_share.to_string()),
                ],
                &format!(
                    "lifted_share + marginal_share must be <= 1 (lifted_share is {}, marginal_share {})",
                    self.lifted_share, self.marginal_share
                ),
            ));
        }
        c.range(
            "household_size_mean",
            self.household_size_mean,
            1.0,
            20.0,
            "mean household size must be in [1, 20] persons",
        )?;
        c.range(
            "head_age_mean",
            self.head_age_mean,
            16.0,
            100.0,
            "mean head age must be in [16, 100]",
        )?;
        c.nonneg("head_age_sd", self.head_age_sd)?;
        c.range(
            "schooling_mean",
            self.schooling_mean,
            0.0,
            20.0,
            "mean schooling must be in [0, 20] years",
        )?;
        c.nonneg("schooling_sd", self.schooling_sd)?;
        c.range(
            "schooling_max",
            self.schooling_max,
            self.schooling_mean.max(1.0),
            40.0,
            &format!(
                "must be in [schooling_mean, 40] years (schooling_mean is {})",
                self.schooling_mean
            ),
        )?;
        c.range(
            "registered_schooling_gap",
            self.registered_schooling_gap,
            -20.0,
            20.0,
            "must be in [-20, 20] years",
        )?;
        c.range(
            "land_sigma",
            self.land_sigma,
            0.0,
            5.0,
            "a log-normal sigma must be in [0, 5]",
        )?;
        c.range(
            "assets_sigma",
            self.assets_sigma,
            0.0,
            5.0,
            "a log-normal sigma must be in [0, 5]",
        )?;
        c.range(
            "permanent_sd",
            self.permanent_sd,
            0.0,
            5.0,
            "a log standard deviation must be in [0, 5]",
        )?;
        c.range(
            "lifted_income_shift",
            self.lifted_income_shift,
            -5.0,
            5.0,
            "a log-income shift must be in [-5, 5]",
        )?;
        c.range(
            "marginal_income_shift",
            self.marginal_income_shift,
            -5.0,
            5.0,
            "a log-income shift must be in [-5, 5]",
        )?;
        let fx = &self.cause_effects;
        c.range(
            "cause_effects.skills_schooling_gap",
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
                &format!("cause_effects.{k}"),
                f64::from(v),
                0.0,
                12.0,
                "a number of members must be from 0 to 12 (the largest household)",
            )?;
        }
        c.range(
            "motivation_concentration",
            self.motivation_concentration,
            0.01,
            1e4,
            "a Beta concentration must be > 0",
        )?;
        let mut total = 0.0;
        let mut cause_keys = Vec::new();
        for (k, v) in self.causes.shares() {
            let key = format!("causes.{k}");
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
        Ok(())
    }
}

impl Income {
    /// The rules of `[income]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.range(
            "nominal_growth",
            self.nominal_growth,
            -0.5,
            1.0,
            "annual growth must be in [-0.5, 1]",
        )?;
        c.range(
            "wage_sigma",
            self.wage_sigma,
            0.0,
            5.0,
            "a log-normal sigma must be in [0, 5]",
        )?;
        c.range(
            "employment_schooling_effect",
            self.employment_schooling_effect,
            -10.0,
            10.0,
            "a logit effect must be in [-10, 10]",
        )?;
        c.range(
            "employment_motivation_effect",
            self.employment_motivation_effect,
            -10.0,
            10.0,
            "a logit effect must be in [-10, 10]",
        )?;
        c.range(
            "asset_return",
            self.asset_return,
            -1.0,
            1.0,
            "an asset return must be in [-1, 1]",
        )?;
        Ok(())
    }
}

impl Demography {
    /// The rules of `[demography]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.range(
            "retirement_age",
            self.retirement_age,
            16.0,
            120.0,
            "an age must be in [16, 120]",
        )?;
        c.range(
            "succession_age",
            self.succession_age,
            30.0,
            120.0,
            "an age must be in [30, 120]",
        )?;
        c.range(
            "successor_age",
            self.successor_age,
            16.0,
            100.0,
            "an age must be in [16, 100]",
        )?;
        if self.successor_age >= self.succession_age {
            return Err(c.fail_among(
                &[
                    ("successor_age", self.successor_age.to_string()),
                    ("succession_age", self.succession_age.to_string()),
                ],
                &format!(
                    "the successor must be younger than the age of succession (successor_age {}, succession_age {})",
                    self.successor_age, self.succession_age
                ),
            ));
        }
        c.range(
            "elderly_age",
            self.elderly_age,
            16.0,
            120.0,
            "an age must be in [16, 120]",
        )?;
        Ok(())
    }
}

impl Finance {
    /// The rules of `[finance]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.nonneg("consumption_floor_ratio", self.consumption_floor_ratio)?;
        Ok(())
    }
}

impl Shocks {
    /// The rules of `[shocks]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.range(
            "income.rho",
            self.income.rho,
            0.0,
            0.99,
            "persistence rho must be in [0, 0.99]",
        )?;
        c.range(
            "income.persistent_sd",
            self.income.persistent_sd,
            0.0,
            3.0,
            "a log standard deviation must be in [0, 3]",
        )?;
        c.range(
            "income.transitory_sd",
            self.income.transitory_sd,
            0.0,
            3.0,
            "a log standard deviation must be in [0, 3]",
        )?;
        let il = &self.illness;
        c.range(
            "illness.age_slope",
            il.age_slope,
            0.0,
            1.0,
            "must be in [0, 1] per year",
        )?;
        c.range(
            "illness.age_pivot",
            il.age_pivot,
            0.0,
            120.0,
            "an age must be in [0, 120]",
        )?;
        c.range(
            "illness.chronic_multiplier",
            il.chronic_multiplier,
            0.0,
            100.0,
            "a multiplier must be in [0, 100]",
        )?;
        c.range(
            "illness.cost_sigma",
            il.cost_sigma,
            0.0,
            5.0,
            "a log-normal sigma must be in [0, 5]",
        )?;
        if self.hazards.len() > crate::model::MAX_HAZARDS {
            return Err(c.fail(
                "hazards",
                self.hazards.len(),
                &format!("at most {} hazards", crate::model::MAX_HAZARDS),
            ));
        }
        for (name, h) in &self.hazards {
            let k = |f: &str| format!("hazards.{name}.{f}");
            c.range(
                &k("loss_concentration"),
                h.loss_concentration,
                0.01,
                1e4,
                "a Beta concentration must be > 0",
            )?;
        }
        c.range(
            "disaster_spread",
            self.disaster_spread,
            0.0,
            3.0,
            "a log standard deviation must be in [0, 3]",
        )?;
        c.range(
            "price.sd",
            self.price.sd,
            0.0,
            3.0,
            "a log standard deviation must be in [0, 3]",
        )?;
        Ok(())
    }
}

impl Register {
    /// The rules of `[policy.register]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        if !(1..=100).contains(&self.rescue_years) {
            return Err(c.fail(
                "rescue_years",
                self.rescue_years,
                "rescue_years must be in [1, 100]: 1 verifies a monitored household at its first year-end below the line",
            ));
        }
        Ok(())
    }
}

impl Monitoring {
    /// The rules of `[policy.monitoring]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.range(
            "threshold_ratio",
            self.threshold_ratio,
            0.0,
            20.0,
            "the threshold ratio must be in [0, 20] times the poverty line",
        )?;
        if self.exit_years > 100 {
            return Err(c.fail(
                "exit_years",
                self.exit_years,
                "exit_years must be in [0, 100]",
            ));
        }
        Ok(())
    }
}

impl Industry {
    /// The rules of `[policy.industry]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        if self.programs.len() > 16 {
            return Err(c.fail(
                "programs",
                self.programs.len(),
                "at most 16 industry programs",
            ));
        }
        for (name, pr) in &self.programs {
            let k = |f: &str| format!("programs.{name}.{f}");
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
        Ok(())
    }
}

impl SocialSecurity {
    /// The rules of `[policy.social_security]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        let si = &self.serious_illness;
        if si.reimbursement.get() + si.priority_bonus.get() > 1.0 {
            return Err(c.fail_among(
                &[
                    (
                        "serious_illness.priority_bonus",
                        si.priority_bonus.to_string(),
                    ),
                    (
                        "serious_illness.reimbursement",
                        si.reimbursement.to_string(),
                    ),
                ],
                &format!(
                    "reimbursement + priority_bonus must be <= 1 (reimbursement {}, priority_bonus {})",
                    si.reimbursement, si.priority_bonus
                ),
            ));
        }
        let db = &self.dibao;
        c.range(
            "dibao.standard_growth",
            db.standard_growth,
            -0.5,
            1.0,
            "annual growth must be in [-0.5, 1]",
        )?;
        c.range(
            "dibao.inclusion_band",
            db.inclusion_band,
            1.0,
            10.0,
            "the inclusion band must be in [1, 10] times the standard",
        )?;
        c.range(
            "dibao.assessment_smoothing",
            db.assessment_smoothing,
            0.0,
            0.99,
            "the smoothing weight must be in [0, 0.99] (0: last year's income alone)",
        )?;
        Ok(())
    }
}

impl MotivationPolicy {
    /// The rules of `[policy.motivation]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        c.range(
            "training_skill_gain",
            self.training_skill_gain,
            0.0,
            10.0,
            "must be in [0, 10] years",
        )?;
        Ok(())
    }
}

impl Behaviour {
    /// The rules of `[behaviour]`.
    fn validate(&self, c: &Checker) -> Result<(), ScenarioError> {
        if self.dependency.full_after_years == 0 || self.dependency.full_after_years > 100 {
            return Err(c.fail(
                "dependency.full_after_years",
                self.dependency.full_after_years,
                "must be a whole number of years from 1 to 100",
            ));
        }
        Ok(())
    }
}
