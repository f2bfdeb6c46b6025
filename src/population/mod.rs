//! Synthetic households: the initial population of one replication.
//!
//! Each household is drawn from its own stream (seed, replication, household), so a
//! household is the same whatever the population size; villages from theirs.

use crate::rng::{self, Kind, Purpose, math};
use crate::scenario::Params;
use crate::scenario::households::HouseholdRow;

/// The initial group of a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Registered (建档立卡) and lifted out of poverty before the start.
    Lifted,
    /// Never registered, meant as the households between the line and the monitoring
    /// threshold (边缘户). Drawn as `marginal_income_shift` on the common income
    /// distribution, so only about a fifth of them lie in that band in a given year
    /// (docs/calibration.md, "Where the stock sits").
    Marginal,
    /// Everyone else.
    Other,
}

impl Group {
    /// How many groups there are.
    pub const COUNT: usize = Group::Other as usize + 1;

    /// Every group, in file order.
    pub const ALL: [Group; Group::COUNT] = [Group::Lifted, Group::Marginal, Group::Other];

    /// Label for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Group::Lifted => "households lifted before the start",
            Group::Marginal => "marginal households",
            Group::Other => "other households",
        }
    }

    /// Lowercase name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Group::Lifted => "lifted",
            Group::Marginal => "marginal",
            Group::Other => "other",
        }
    }
}

/// A village's fixed traits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Village {
    /// Dry mountain terrain (otherwise irrigated plain).
    pub dry: bool,
}

/// One household's state, 80 bytes. Money in CNY; `f32` keeps the population compact
/// and arithmetic is done in `f64`; shares, last year's income components and year
/// indices are kept in 16 or 8 bits (the types below), where the model needs no more.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Village index.
    pub village: u16,
    /// Persons.
    pub size: u8,
    /// Working-age able-bodied adults.
    pub labour: u8,
    /// Members of pension age.
    pub elderly: u8,
    /// Chronically ill members.
    pub chronic: u8,
    /// Disabled members.
    pub disabled: u8,
    /// Head's age.
    pub head_age: u8,
    /// Initial group.
    pub group: Group,
    /// Main cause of poverty when registered (index into `PovertyCauses::shares`), 255 if none.
    pub cause: u8,
    /// Yes-or-no state, one bit each: see the accessors ([`Household::registered`] and
    /// the others) below.
    pub flags: Flags,
    /// A fixed uniform draw: the household is reached by dibao when eligible if this is
    /// below `dibao.coverage`, so exclusion errors persist as they do in practice.
    pub dibao_access: Draw16,
    /// Further years a labour unit stays out of work after an illness.
    pub sick_years: u8,
    /// Jobs held by labour units (wage or migrant work), persistent across years.
    pub jobs: u8,
    /// Industry programs enrolled in, as bits over the scenario's sorted program names.
    pub programs: u16,
    /// Consecutive years above the monitoring threshold while monitored.
    pub years_above: u8,
    /// Consecutive years of unconditional support.
    pub support_years: u8,
    /// Length of the current poverty spell on the panel, in observations (years for an
    /// annual panel), 0 if not poor.
    pub spell: u8,
    /// Number of returns to poverty over the horizon.
    pub returns: u8,
    /// Year index of the first return, -1 if none.
    pub first_return: Year8,
    /// Year index of the last exit from poverty still open for re-entry, -1 if none.
    pub last_exit: Year8,
    /// Consecutive year-ends below the poverty line after support (the year-end
    /// review's count, `policy.register.rescue_years`).
    pub below_years: u8,
    /// Skill, in years of schooling.
    pub skill: f32,
    /// Cultivated land (mu).
    pub land: f32,
    /// Irrigated share of the land.
    pub irrigated: Share16,
    /// Productive assets (CNY).
    pub assets: f32,
    /// Savings (CNY).
    pub savings: f32,
    /// Debt, mostly medical (CNY).
    pub debt: f32,
    /// Persistent log-income component `u`.
    pub u: f32,
    /// Permanent log-income effect, including the group shift.
    pub alpha: f32,
    /// Motivation in [0, 1].
    pub m: Share16,
    /// Last year's per-capita income without dibao, as assessed for dibao.
    pub assessed: f32,
    /// Last year's per-capita net income.
    pub prev_y: Half,
    /// Last year's per-capita income on the register's measure (gross, before
    /// rigid spending and monitoring support): the base of an income fall.
    pub prev_register: Half,
    /// Last year's counted rigid spending (CNY).
    pub prev_rigid: Half,
    /// Last year's disaster loss (CNY).
    pub prev_disaster: Half,
    /// Last year's wage income (CNY).
    pub prev_wage: Half,
    /// Last year's industry income (CNY).
    pub prev_industry: Half,
    /// Last year's working labour units.
    pub prev_working: u8,
    /// Sum over the horizon of `y_t / z_t`, for the chronic/transient split.
    pub sum_relative_income: f32,
    /// Sum over the horizon of the squared normalised poverty gap.
    pub sum_squared_gap: f32,
}

/// A value rounded to 8 significant bits (bfloat16: the upper half of an `f32`, to
/// nearest), for last year's income components, which only decide which component of
/// a fall was the largest (a return's main cause): a relative 0.4% at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Half(u16);

impl Half {
    /// `x` rounded; finite values below 1e30 in magnitude.
    pub fn new(x: f64) -> Half {
        let bits = (x as f32).to_bits();
        Half((bits.wrapping_add(0x7fff + ((bits >> 16) & 1)) >> 16) as u16)
    }

    /// The stored value.
    pub fn get(self) -> f64 {
        f64::from(f32::from_bits(u32::from(self.0) << 16))
    }
}

/// A share in [0, 1] in 16-bit fixed point, to 1/60,000 (rounded to nearest), so that
/// shares such as 0.5, 0.25, 0.1 or 1/3 of a case file are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Share16(u16);

impl Share16 {
    const ONE: f64 = 60_000.0;

    /// `x`, clamped to [0, 1]. (Half up by adding a half and truncating: `f64::round`
    /// is a library call on the baseline x86-64 target, and this runs every
    /// household-year.)
    pub fn new(x: f64) -> Share16 {
        Share16((x.clamp(0.0, 1.0) * Self::ONE + 0.5) as u16)
    }

    /// The stored share.
    pub fn get(self) -> f64 {
        f64::from(self.0) / Self::ONE
    }
}

/// A uniform draw in [0, 1) in 16 bits, compared with probabilities (`draw < p`): kept
/// as the middle of its 1/65,535 bin, so it lies strictly inside (0, 1) and a
/// probability of 0 reaches no one and of 1 everyone; `Draw16::new(1.0)` is a draw
/// that no probability reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Draw16(u16);

impl Draw16 {
    /// The bin of `u` (values of 1 or more: never reached).
    pub fn new(u: f64) -> Draw16 {
        Draw16((u.max(0.0) * 65535.0).floor().min(65535.0) as u16)
    }

    /// The middle of the bin; above 1 for a draw that no probability reaches.
    pub fn get(self) -> f64 {
        (f64::from(self.0) + 0.5) / 65535.0
    }
}

/// A year index from -51 to 204 in one byte: every year of a run (burn-in of at most
/// `MAX_BURN_IN_YEARS` = 50 years, horizons of at most `MAX_YEARS` = 200) and the
/// sentinel -1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Year8(u8);

impl Year8 {
    const OFFSET: i16 = 51;

    /// The sentinel -1: none, or before the start.
    pub const NONE: Year8 = Year8((Self::OFFSET - 1) as u8);

    /// Year index `t`.
    pub fn new(t: i16) -> Year8 {
        debug_assert!((-Self::OFFSET..=255 - Self::OFFSET).contains(&t));
        Year8((t + Self::OFFSET).clamp(0, 255) as u8)
    }

    /// The year index.
    pub fn get(self) -> i16 {
        i16::from(self.0) - Self::OFFSET
    }
}

/// A household's yes-or-no state, one bit each: the flags in two bytes keep the
/// state compact. Read and set them through [`Household`]'s accessors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(u16);

/// For each flag: a getter with the flag's documentation, a setter, and its bit.
macro_rules! flags {
    ($($(#[$doc:meta])* $get:ident, $set:ident = $bit:literal;)*) => {
        impl Household {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $get(&self) -> bool {
                    self.flags.0 & (1 << $bit) != 0
                }

                #[doc = concat!("Set [`Household::", stringify!($get), "`].")]
                #[inline]
                pub fn $set(&mut self, on: bool) {
                    self.flags.0 = (self.flags.0 & !(1 << $bit)) | (u16::from(on) << $bit);
                }
            )*
        }
    };
}

flags! {
    /// Ever on the poverty register.
    registered, set_registered = 0;
    /// Enrolled in basic medical insurance.
    medical_insured, set_medical_insured = 1;
    /// Buys agricultural insurance.
    agri_insured, set_agri_insured = 2;
    /// Receiving dibao this year.
    on_dibao, set_on_dibao = 3;
    /// Under poverty monitoring.
    monitored, set_monitored = 4;
    /// Poor last year.
    poor_prev, set_poor_prev = 5;
    /// Poor last year on the panel income (`poverty_line.panel_income`).
    panel_poor_prev, set_panel_poor_prev = 6;
    /// Whether the current spell started inside the observed horizon.
    spell_observed, set_spell_observed = 7;
    /// Verified poor at the last year-end review (`policy.register`): on the register
    /// as poor, or, after 2020, a newly poor monitoring object; cleared when its
    /// income is above the line at a year-end.
    verified_poor, set_verified_poor = 8;
    /// Under monitoring in some year since recording began (the start year).
    ever_monitored, set_ever_monitored = 9;
}

/// The villages of one replication.
pub fn villages(p: &Params, replication: u32) -> Vec<Village> {
    (0..p.simulation.villages)
        .map(|v| {
            let key = rng::key(
                p.simulation.seed,
                replication,
                Kind::VillageInit,
                u64::from(v),
                0,
            );
            Village {
                dry: key.uniform(Purpose::new("init.dry")) < p.population.dry_village_share.get(),
            }
        })
        .collect()
}

/// Steady-state probability that a labour unit is employed, by schooling and motivation.
pub fn employment_probability(p: &Params, skill: f64, m: f64) -> f64 {
    employment_probability_at(p, employment_base_logit(p), skill, m)
}

/// The log-odds of the base employment rate, which [`employment_probability_at`] takes
/// so that the engine computes it once a year rather than once a household.
pub fn employment_base_logit(p: &Params) -> f64 {
    let base = p.income.employment_base.get();
    math::ln(base / (1.0 - base))
}

/// [`employment_probability`] given [`employment_base_logit`].
#[inline]
pub fn employment_probability_at(p: &Params, base_logit: f64, skill: f64, m: f64) -> f64 {
    let inc = &p.income;
    if inc.employment_base.get() >= 1.0 {
        return 1.0;
    }
    if inc.employment_base.get() <= 0.0 {
        return 0.0;
    }
    let logit = base_logit
        + inc.employment_schooling_effect * (skill - p.population.schooling_mean)
        + inc.employment_motivation_effect * (m - p.population.motivation_reference.get());
    1.0 / (1.0 + math::exp(-logit))
}

/// Poisson draw by inversion of one uniform (small means only).
fn poisson(mean: f64, u: f64) -> u32 {
    let mut k = 0;
    let mut pmf = math::exp(-mean);
    let mut cdf = pmf;
    while u > cdf && k < 60 {
        k += 1;
        pmf *= mean / f64::from(k);
        cdf += pmf;
    }
    k
}

/// `x^n` by binary powering, the same products in the same order as `f64::powi`
/// (compiler-builtins' `__powidf2`, a library call on x86-64), inlined.
#[inline]
fn powi(mut x: f64, mut n: u32) -> f64 {
    let mut out = 1.0;
    loop {
        if n & 1 != 0 {
            out *= x;
        }
        n >>= 1;
        if n == 0 {
            return out;
        }
        x *= x;
    }
}

/// Binomial draw by inversion of one uniform.
pub fn binomial(n: u32, p: f64, u: f64) -> u32 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let q = 1.0 - p;
    let mut pmf = powi(q, n);
    let mut cdf = pmf;
    let mut k = 0;
    while u > cdf && k < n {
        pmf *= f64::from(n - k) / f64::from(k + 1) * p / q;
        k += 1;
        cdf += pmf;
    }
    k
}

/// Draw household `id` of replication `replication`.
///
/// Each draw is keyed by its purpose (`init.group`, `init.village`, ...), so adding a
/// draw or a program leaves every other draw unchanged; motivation is a Beta from its
/// own stream.
pub fn household(p: &Params, villages: &[Village], replication: u32, id: u64) -> Household {
    let pop = &p.population;
    let k = rng::key(p.simulation.seed, replication, Kind::HouseholdInit, id, 0);
    let u = |name: &'static str| k.uniform(Purpose::new(name));
    let n = |name: &'static str| k.normal(Purpose::new(name));
    let u_group = u("init.group");
    let u_village = u("init.village");
    let u_size = u("init.size");
    let u_labour = u("init.labour");
    let u_elderly = u("init.elderly");
    let u_chronic = u("init.chronic");
    let u_disabled = u("init.disabled");
    let u_savings = u("init.savings");
    let u_med = u("init.medical_insurance");
    let u_agri = u("init.agricultural_insurance");
    let u_cause = u("init.cause");
    let u_jobs = u("init.jobs");
    let u_dibao = u("init.dibao_access");
    let n_age = n("init.head_age");
    let n_skill = n("init.schooling");
    let n_land = n("init.land");
    let n_assets = n("init.assets");
    let n_alpha = n("init.permanent");
    let n_u = n("init.persistent");

    let group = if u_group < pop.lifted_share.get() {
        Group::Lifted
    } else if u_group < pop.lifted_share.get() + pop.marginal_share.get() {
        Group::Marginal
    } else {
        Group::Other
    };
    let registered = group == Group::Lifted;
    let village = ((u_village * villages.len() as f64) as usize).min(villages.len() - 1);
    let dry = villages[village].dry;
    let size = (1 + poisson((pop.household_size_mean - 1.0).max(0.0), u_size)).min(12);
    let head_age = (pop.head_age_mean + pop.head_age_sd * n_age).clamp(18.0, 95.0);
    // A head under pension age works.
    let mut labour = binomial(size, pop.labour_share.get(), u_labour)
        .max(u32::from(head_age < p.demography.elderly_age));
    let elderly = if head_age >= p.demography.elderly_age {
        1 + u32::from(u_elderly < pop.elderly_spouse_share.get() && size >= 2)
    } else {
        u32::from(u_elderly < pop.elderly_parent_share.get() && size >= 3)
    };
    let mut skill = pop.schooling_mean + pop.schooling_sd * n_skill
        - if registered {
            pop.registered_schooling_gap
        } else {
            0.0
        };
    let (chronic_p, disabled_p) = if registered {
        (
            pop.chronic_share_registered.get(),
            pop.disability_share_registered.get(),
        )
    } else {
        (
            pop.chronic_share_other.get(),
            pop.disability_share_other.get(),
        )
    };
    let mut chronic = u32::from(u_chronic < chronic_p);
    let mut disabled = u32::from(u_disabled < disabled_p);
    let sigma_l = pop.land_sigma;
    let land = pop.land_mean * math::exp(sigma_l * n_land - sigma_l * sigma_l / 2.0);
    let mut irrigated = if dry {
        pop.irrigated_share_dry.get()
    } else {
        pop.irrigated_share_plain.get()
    };
    let sigma_a = pop.assets_sigma;
    let mut assets =
        pop.assets_mean.get() * math::exp(sigma_a * n_assets - sigma_a * sigma_a / 2.0);
    // Exponential savings: many households hold little.
    let savings = -pop.savings_mean.get() * math::ln(1.0 - u_savings);
    let shift = match group {
        Group::Lifted => pop.lifted_income_shift,
        Group::Marginal => pop.marginal_income_shift,
        Group::Other => 0.0,
    };
    let alpha = shift + pop.permanent_sd * n_alpha;
    let inc = &p.shocks.income;
    let stationary_sd = if inc.enabled {
        inc.persistent_sd / (1.0 - inc.rho * inc.rho).sqrt()
    } else {
        0.0
    };
    let u0 = stationary_sd * n_u;

    let mut cause = 255u8;
    let mut motivation_scale = 1.0;
    if registered {
        let shares = pop.causes.shares();
        // Shares that sum to just under 1 leave the last cause the remainder.
        let mut acc = 0.0;
        let picked = shares
            .iter()
            .position(|(_, share)| {
                acc += share;
                u_cause < acc
            })
            .unwrap_or(shares.len() - 1);
        cause = picked as u8;
        // The recorded cause shapes the household it describes.
        let fx = &pop.cause_effects;
        match shares[picked].0 {
            "illness" => chronic = chronic.max(fx.illness_chronic_members),
            "funds" => assets *= fx.funds_assets_factor.get(),
            "skills" => skill -= fx.skills_schooling_gap,
            "labour" => labour = labour.saturating_sub(fx.labour_units_lost),
            "disability" => {
                disabled = disabled.max(fx.disability_members);
                labour = labour.saturating_sub(fx.disability_members);
            }
            "disaster" => irrigated *= fx.disaster_irrigated_factor.get(),
            "infrastructure" => irrigated *= fx.infrastructure_irrigated_factor.get(),
            "motivation" => motivation_scale = fx.motivation_factor.get(),
            // Schooling costs: see docs/model.md for why they leave no lasting mark.
            _ => {}
        }
    }
    let m_mean = if registered {
        pop.motivation_mean_registered.get()
    } else {
        pop.motivation_mean_other.get()
    };
    let m = rng::beta(
        &mut k.stream(Purpose::new("init.motivation")),
        m_mean,
        pop.motivation_concentration,
    ) * motivation_scale;

    let labour = labour.min(size);
    let skill = skill.clamp(0.0, pop.schooling_max);
    let m = m.clamp(0.0, 1.0);
    let jobs = binomial(labour, employment_probability(p, skill, m), u_jobs);

    let mut programs = 0u16;
    const ENROL: Purpose = Purpose::new("init.program");
    for (i, (name, prog)) in p.policy.industry.programs.iter().enumerate() {
        let coverage = if registered {
            prog.coverage_registered.get()
        } else {
            prog.coverage_other.get()
        };
        let draw = k.uniform(ENROL.of(name));
        if draw < coverage {
            programs |= 1 << i;
        }
    }

    let mut h = Household {
        village: village as u16,
        size: size as u8,
        labour: labour as u8,
        elderly: elderly.min(size) as u8,
        chronic: chronic as u8,
        disabled: disabled as u8,
        head_age: head_age.round() as u8,
        group,
        flags: Flags::default(),
        cause,
        dibao_access: Draw16::new(u_dibao),
        sick_years: 0,
        jobs: jobs as u8,
        programs,
        years_above: 0,
        support_years: 0,
        spell: 0,
        returns: 0,
        first_return: Year8::NONE,
        last_exit: Year8::NONE,
        below_years: 0,
        skill: skill as f32,
        land: land as f32,
        irrigated: Share16::new(irrigated),
        assets: assets as f32,
        savings: savings as f32,
        debt: 0.0,
        u: u0 as f32,
        alpha: alpha as f32,
        m: Share16::new(m),
        // Assessed above any dibao standard until a first year is observed (burn-in).
        assessed: crate::policy::NOT_ASSESSED,
        prev_y: Half::default(),
        prev_register: Half::default(),
        prev_rigid: Half::default(),
        prev_disaster: Half::default(),
        prev_wage: Half::default(),
        prev_industry: Half::default(),
        prev_working: 0,
        sum_relative_income: 0.0,
        sum_squared_gap: 0.0,
    };
    h.set_registered(registered);
    h.set_medical_insured(
        u_med
            < p.policy
                .social_security
                .medical_insurance
                .participation
                .get(),
    );
    h.set_agri_insured(
        u_agri
            < p.policy
                .social_security
                .agricultural_insurance
                .participation
                .get(),
    );
    h
}

/// Household `id` from a survey row: observed fields from the row, unobserved ones
/// (income components, jobs, dibao access, programs) drawn as for a synthetic household.
pub fn household_from_row(
    p: &Params,
    villages: &[Village],
    replication: u32,
    id: u64,
    row: &HouseholdRow,
) -> Household {
    let mut h = household(p, villages, replication, id);
    let shift = |g: Group| match g {
        Group::Lifted => p.population.lifted_income_shift,
        Group::Marginal => p.population.marginal_income_shift,
        Group::Other => 0.0,
    };
    let group = match row.group.as_str() {
        "lifted" => Group::Lifted,
        "marginal" => Group::Marginal,
        _ => Group::Other,
    };
    h.alpha = (f64::from(h.alpha) - shift(h.group) + shift(group)) as f32;
    h.group = group;
    h.set_registered(group == Group::Lifted);
    if !h.registered() {
        h.cause = 255;
    }
    h.village = row.village as u16;
    h.size = row.size;
    h.labour = row.labour;
    h.elderly = row.elderly;
    h.head_age = row.head_age;
    h.chronic = row.chronic;
    h.disabled = row.disabled;
    h.skill = row.schooling as f32;
    h.land = row.land as f32;
    h.irrigated = Share16::new(row.irrigated_share);
    h.assets = row.assets as f32;
    h.savings = row.savings as f32;
    h.debt = row.debt as f32;
    h.m = Share16::new(row.motivation);
    h.set_medical_insured(row.medical_insured);
    h.set_agri_insured(row.agri_insured);
    h.jobs = h.jobs.min(h.labour);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::scenario::params::Probability;

    #[test]
    fn powi_gives_the_bits_of_f64_powi() {
        let mut s = rng::stream(5, 0, Kind::CountyYear, 0, 0, Purpose::new("test"));
        for _ in 0..20_000 {
            let x = rng::uniform(&mut s) * 1.5;
            for n in 0..=40u32 {
                assert_eq!(powi(x, n).to_bits(), x.powi(n as i32).to_bits(), "{x}^{n}");
            }
        }
    }

    #[test]
    fn compact_values_keep_what_the_model_needs() {
        // Last year's income components: within 0.4% (8 significant bits), signs kept.
        for x in [0.0, 1.0, -1.0, 3.7, 999.5, 18_000.0, -52_345.6, 1.0e7] {
            let y = Half::new(x).get();
            assert!((y - x).abs() <= x.abs() / 256.0, "{x} -> {y}");
        }
        // Shares: decimal shares exact, the rest to 1/60,000, clamped to [0, 1].
        for x in [0.0, 0.1, 0.25, 0.5, 0.75, 1.0] {
            assert_eq!(Share16::new(x).get(), x);
        }
        assert!((Share16::new(1.0 / 3.0).get() - 1.0 / 3.0).abs() < 1e-12);
        assert!((Share16::new(0.123_456).get() - 0.123_456).abs() <= 0.5 / 60_000.0);
        assert_eq!(Share16::new(1.5).get(), 1.0);
        assert_eq!(Share16::new(-0.2).get(), 0.0);
        // Draws: strictly inside (0, 1), so probability 0 reaches no one and 1 everyone;
        // a draw of 1 is reached by no probability.
        for u in [0.0, 1e-9, 0.3, 0.999_999_9] {
            let d = Draw16::new(u).get();
            assert!(
                d > 0.0 && d < 1.0 && (d - u).abs() < 1.0 / 65_535.0,
                "{u} -> {d}"
            );
        }
        assert!(Draw16::new(1.0).get() > 1.0);
        // Year indices: every year a run can have (scenario limits) and the sentinel.
        let first = -(crate::scenario::MAX_BURN_IN_YEARS as i16);
        let last = crate::scenario::MAX_YEARS as i16 - 1;
        for t in first..=last {
            assert_eq!(Year8::new(t).get(), t);
        }
        assert_eq!(Year8::NONE.get(), -1);
    }

    #[test]
    fn each_flag_has_its_own_bit() {
        let p = Scenario::baseline().unwrap().params;
        let terrain = villages(&p, 0);
        let mut h = household(&p, &terrain, 0, 3);
        h.flags = Flags::default();
        type Flag = (fn(&Household) -> bool, fn(&mut Household, bool));
        let all: [Flag; 8] = [
            (Household::registered, Household::set_registered),
            (Household::medical_insured, Household::set_medical_insured),
            (Household::agri_insured, Household::set_agri_insured),
            (Household::on_dibao, Household::set_on_dibao),
            (Household::monitored, Household::set_monitored),
            (Household::poor_prev, Household::set_poor_prev),
            (Household::panel_poor_prev, Household::set_panel_poor_prev),
            (Household::spell_observed, Household::set_spell_observed),
        ];
        for (i, (_, set)) in all.iter().enumerate() {
            set(&mut h, true);
            for (j, (get, _)) in all.iter().enumerate() {
                assert_eq!(get(&h), i == j, "setting flag {i} shows in flag {j}");
            }
            set(&mut h, false);
            assert_eq!(h.flags, Flags::default(), "clearing flag {i}");
        }
        // The state of a household stays compact (docs/benchmarks.md, memory): 82
        // bytes of fields since last year's register income joined them.
        assert!(
            std::mem::size_of::<Household>() <= 84,
            "{}",
            std::mem::size_of::<Household>()
        );
    }

    #[test]
    fn household_does_not_depend_on_population_size() {
        let s = Scenario::baseline().unwrap();
        let v = villages(&s.params, 0);
        let a = household(&s.params, &v, 0, 17);
        let b = household(&s.params, &v, 0, 17);
        assert_eq!(a, b);
        let c = household(&s.params, &v, 1, 17);
        assert_ne!(a, c);
    }

    #[test]
    fn binomial_inversion_matches_mean() {
        let n = 20_000;
        let mut s = rng::stream(3, 0, Kind::CountyYear, 0, 0, Purpose::new("test"));
        let total: u32 = (0..n).map(|_| binomial(5, 0.3, rng::uniform(&mut s))).sum();
        let mean = f64::from(total) / f64::from(n);
        // sd of the mean: sqrt(5*0.3*0.7/n) ~ 0.0072
        assert!((mean - 1.5).abs() < 0.03, "{mean}");
        assert_eq!(binomial(4, 1.0, 0.99), 4);
        assert_eq!(binomial(4, 0.0, 0.99), 0);
    }

    #[test]
    fn shares_of_groups_match_parameters() {
        let s = Scenario::baseline().unwrap();
        let v = villages(&s.params, 0);
        let n = 20_000;
        let lifted = (0..n)
            .filter(|&i| household(&s.params, &v, 0, i).group == Group::Lifted)
            .count();
        let share = lifted as f64 / n as f64;
        // sd ~ 0.0028
        assert!(
            (share - s.params.population.lifted_share.get()).abs() < 0.012,
            "{share}"
        );
    }

    /// Baseline parameters with every registered household given `cause`.
    fn all_with_cause(cause: &str) -> Params {
        let mut p = Scenario::baseline().unwrap().params;
        let c = &mut p.population.causes;
        for share in [
            &mut c.illness,
            &mut c.funds,
            &mut c.skills,
            &mut c.labour,
            &mut c.disability,
            &mut c.schooling,
            &mut c.disaster,
            &mut c.infrastructure,
            &mut c.motivation,
        ] {
            *share = Probability::ZERO;
        }
        match cause {
            "funds" => c.funds = Probability::ONE,
            "skills" => c.skills = Probability::ONE,
            "labour" => c.labour = Probability::ONE,
            "schooling" => c.schooling = Probability::ONE,
            "motivation" => c.motivation = Probability::ONE,
            _ => unreachable!("{cause}"),
        }
        p
    }

    #[test]
    fn a_recorded_cause_shapes_the_household_by_its_named_parameter() {
        let registered = |p: &Params| -> Vec<Household> {
            let v = villages(p, 0);
            (0..400)
                .map(|i| household(p, &v, 0, i))
                .filter(|h| h.group == Group::Lifted)
                .collect()
        };
        let neutral = |cause: &str| {
            let mut p = all_with_cause(cause);
            let fx = &mut p.population.cause_effects;
            fx.funds_assets_factor = 1.0.try_into().unwrap();
            fx.skills_schooling_gap = 0.0;
            fx.labour_units_lost = 0;
            fx.motivation_factor = 1.0.try_into().unwrap();
            p
        };
        // Lack of funds: assets are the stated share of the same household's draw.
        let mut p = all_with_cause("funds");
        p.population.cause_effects.funds_assets_factor = 0.25.try_into().unwrap();
        let (with, without) = (registered(&p), registered(&neutral("funds")));
        assert!(with.len() > 40);
        for (a, b) in with.iter().zip(&without) {
            assert!(
                (f64::from(a.assets) - 0.25 * f64::from(b.assets)).abs()
                    <= 1e-3 * f64::from(b.assets) + 1e-3
            );
        }
        // Lack of skills: the stated years fewer, where the floor of 0 does not bind.
        let mut p = all_with_cause("skills");
        p.population.cause_effects.skills_schooling_gap = 3.0;
        for (a, b) in registered(&p).iter().zip(&registered(&neutral("skills"))) {
            if b.skill >= 3.0 && b.skill <= p.population.schooling_max as f32 {
                assert!(
                    (b.skill - a.skill - 3.0).abs() < 1e-4,
                    "{} {}",
                    a.skill,
                    b.skill
                );
            }
        }
        // Lack of labour: the stated units fewer (down to none).
        let mut p = all_with_cause("labour");
        p.population.cause_effects.labour_units_lost = 2;
        for (a, b) in registered(&p).iter().zip(&registered(&neutral("labour"))) {
            assert_eq!(a.labour, b.labour.saturating_sub(2));
        }
        // Own lack of motivation: the stated share of the draw.
        let mut p = all_with_cause("motivation");
        p.population.cause_effects.motivation_factor = 0.5.try_into().unwrap();
        for (a, b) in registered(&p)
            .iter()
            .zip(&registered(&neutral("motivation")))
        {
            assert!((a.m.get() - 0.5 * b.m.get()).abs() < 1e-4);
        }
        // Schooling costs leave no lasting mark: the household is the one a neutral
        // cause gives, but for its recorded cause.
        for (a, b) in registered(&all_with_cause("schooling"))
            .iter()
            .zip(&registered(&neutral("funds")))
        {
            let mut b = b.clone();
            b.cause = a.cause;
            assert_eq!(*a, b);
        }
    }
}
