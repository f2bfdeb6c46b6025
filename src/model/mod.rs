//! One year of a household's life (MODEL.md section 2).
//!
//! A year runs in two passes over the households with a county step between them:
//! [`begin`] does demography, health, disasters, income and the safety net, and states
//! what monitoring support the household would claim; the runner then sets the share
//! of every package the county budget pays (the coupling that makes the model
//! agent-based); [`finish`] applies the support, settles savings and debt, and updates
//! poverty status, the year-end review of the register, monitoring, motivation and
//! the tallies. Everything a pass computes
//! is kept in a [`YearRecord`], which `trace` also reads, so a household's story is
//! told from the engine's own numbers.
//!
//! Each step of a pass is a function of one mechanism's module (demography, health,
//! hazards, income, industry, safety net, settlement, monitoring, status, motivation,
//! panel); [`begin_with`] and [`finish`] list the steps in their order, which
//! `docs/model.md` documents and `docs/extending.md` says how to extend.

mod demography;
mod hazards;
mod health;
mod income;
mod industry;
mod monitoring;
mod motivation;
mod panel;
mod safety_net;
mod settlement;
mod status;

pub use hazards::{HazardDraws, MAX_HAZARDS, VillageYear, hazard_names, hazards, village_years};
pub use monitoring::{Admission, Candidate, budget, refuse};
pub use panel::{close_panel, start_recording};
pub use settlement::{Settlement, settle};

use crate::metrics::{Cause, PanelTally, RiskGroup, YearTally};
use crate::policy::{self, EffectiveMonitoring, Package};
use crate::population::{self, Half, Household, Village};
use crate::rng::{self, Key, Kind, Purpose, math};
use crate::scenario::Params;
use crate::scenario::params::PanelIncome;

/// County-wide draws of one year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountyYear {
    /// Farm price multiplier.
    pub price: f64,
    /// Migrant jobs collapse this year.
    pub job_shock: bool,
    /// Failed industry programs, as bits over sorted program names.
    pub failed: u16,
}

/// Everything shared by all households in one year.
pub struct YearContext<'a> {
    /// Parameters in force.
    pub p: &'a Params,
    /// Replication.
    pub replication: u32,
    /// Year index: 0 is `start_year`, negative in burn-in.
    pub t: i32,
    /// Nominal growth factor since the start year.
    pub growth: f64,
    /// Poverty line `z_t`.
    pub z: f64,
    /// Monitoring threshold `tau_t`.
    pub tau: f64,
    /// Dibao standard per person.
    pub dibao_standard: f64,
    /// County draws.
    pub county: CountyYear,
    /// Village terrain.
    pub terrain: &'a [Village],
    /// Village disasters.
    pub villages: &'a [VillageYear],
    /// Mean motivation per village at the start of the year.
    pub village_motivation: &'a [f64],
    /// Monitoring after coordination.
    pub monitoring: EffectiveMonitoring,
    /// Half the variance of log earned income, so that the multiplier has mean one.
    pub variance_correction: f64,
    /// Log-odds of the base employment rate.
    pub employment_logit: f64,
    /// The industry programs in their order (bit `i` of a household's `programs`), so
    /// that households do not walk the parameter map.
    pub programs: Vec<&'a crate::scenario::params::Program>,
    /// Index of the program monitored households join, if any.
    pub enrol_program: Option<usize>,
    /// The panel observes this year (every `poverty_line.panel_interval` years).
    pub panel_observed: bool,
    /// The households' yearly streams in this replication.
    pub household_streams: rng::Streams,
    /// The hazards in their order, with the purposes of their draws.
    pub hazards: Vec<HazardDraws<'a>>,
}

/// Stream year for year index `t` (burn-in years come first).
fn stream_year(p: &Params, t: i32) -> u32 {
    (t + p.simulation.burn_in_years as i32) as u32
}

impl<'a> YearContext<'a> {
    /// Build the year's context, drawing county and village shocks.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        p: &'a Params,
        replication: u32,
        t: i32,
        terrain: &'a [Village],
        villages: &'a [VillageYear],
        village_motivation: &'a [f64],
        county: CountyYear,
    ) -> Self {
        let tf = f64::from(t);
        let z = p.poverty_line.base * math::pow(1.0 + p.poverty_line.annual_growth, tf);
        let inc = &p.shocks.income;
        let shock_var = if inc.enabled {
            inc.persistent_sd.powi(2) / (1.0 - inc.rho * inc.rho) + inc.transitory_sd.powi(2)
        } else {
            0.0
        };
        let enrol_program = p
            .policy
            .industry
            .programs
            .keys()
            .position(|k| *k == p.policy.monitoring.enrol_program);
        YearContext {
            p,
            replication,
            t,
            growth: math::pow(1.0 + p.income.nominal_growth, tf),
            z,
            tau: p.policy.monitoring.threshold_ratio * z,
            dibao_standard: p.policy.social_security.dibao.standard.get()
                * math::pow(1.0 + p.policy.social_security.dibao.standard_growth, tf),
            county,
            terrain,
            villages,
            village_motivation,
            monitoring: policy::effective_monitoring(&p.policy.monitoring),
            variance_correction: (p.population.permanent_sd.powi(2) + shock_var) / 2.0,
            employment_logit: population::employment_base_logit(p),
            programs: p.policy.industry.programs.values().collect(),
            enrol_program,
            panel_observed: t.rem_euclid(p.poverty_line.panel_interval as i32) == 0,
            household_streams: rng::Streams::new(
                p.simulation.seed,
                replication,
                Kind::HouseholdYear,
            ),
            hazards: hazards(p),
        }
    }

    /// The enabled programs among those whose bits are set in `programs`, in order,
    /// with their indices: a walk over the set bits, as most households are in none.
    pub fn enrolled(
        &self,
        programs: u16,
    ) -> impl Iterator<Item = (usize, &'a crate::scenario::params::Program)> + '_ {
        let mut bits = programs;
        std::iter::from_fn(move || {
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                match self.programs.get(i) {
                    Some(prog) if prog.enabled => return Some((i, *prog)),
                    Some(_) => continue,
                    None => return None,
                }
            }
            None
        })
    }
}

/// Draw the county's shocks for year index `t`.
pub fn county_year(p: &Params, replication: u32, t: i32) -> CountyYear {
    const PRICE: Purpose = Purpose::new("county.price");
    const JOBS: Purpose = Purpose::new("county.job_shock");
    const FAILURE: Purpose = Purpose::new("industry.failure");
    let year = stream_year(p, t);
    let county = rng::key(p.simulation.seed, replication, Kind::CountyYear, 0, year);
    let programs = rng::Streams::new(p.simulation.seed, replication, Kind::ProgramYear);
    let mut failed = 0u16;
    let ind = &p.policy.industry;
    for (i, (name, prog)) in ind.programs.iter().enumerate() {
        let u = programs.key(rng::name_id(name), year).uniform(FAILURE);
        if u < prog.failure_probability.get() * (1.0 - ind.risk_sharing.get()) {
            failed |= 1 << i;
        }
    }
    let sd = p.shocks.price.sd;
    CountyYear {
        price: if p.shocks.price.enabled {
            math::exp(sd * county.normal(PRICE) - sd * sd / 2.0)
        } else {
            1.0
        },
        job_shock: p.shocks.job_loss.enabled
            && county.uniform(JOBS) < p.shocks.job_loss.probability.get(),
        failed,
    }
}

/// The uniforms that decide which hazards hit a household's plots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hits {
    /// Drawn from the household's key, one per hazard (keyed by the hazard's name).
    Keyed(Key),
    /// The same value for every hazard (rule cases).
    Fixed(f64),
}

impl Default for Hits {
    fn default() -> Self {
        Hits::Fixed(0.0)
    }
}

/// Declares a household's yearly draws once, each with the module constant that
/// names its purpose (declared in the module of the mechanism that draws it): the
/// fields of [`Draws`], the [`purposes`] lists the draw floor makes, and the
/// accessors by which the passes make each draw when they first need it. A new draw
/// is one line here and its purpose in its mechanism's module.
macro_rules! household_draws {
    (
        uniforms { $($(#[$udoc:meta])* $u:ident: $umod:ident::$upurpose:ident,)* }
        normals { $($(#[$ndoc:meta])* $n:ident: $nmod:ident::$npurpose:ident,)* }
    ) => {
        /// A household's random draws for one year. Each is keyed by its purpose
        /// (named after the mechanism that uses it), so it is the same whatever else
        /// is drawn and whenever it is made: the engine makes each when a pass first
        /// needs it, the hits when a hazard strikes the household's village. Rule
        /// cases (`povsim check`) give fixed values instead.
        #[derive(Debug, Clone, Copy, Default, PartialEq)]
        pub struct Draws {
            $($(#[$udoc])* pub $u: f64,)*
            $($(#[$ndoc])* pub $n: f64,)*
            /// Plots hit by each hazard.
            pub hits: Hits,
        }

        /// The purposes of a household's yearly draws (the fields of `Draws`), each
        /// declared in the module of the mechanism that draws it.
        pub mod purposes {
            use crate::rng::Purpose;

            $(pub use super::$umod::$upurpose;)*
            $(pub use super::$nmod::$npurpose;)*

            /// The uniforms, in `Draws` order (the draw floor makes the same).
            pub const UNIFORMS: [Purpose; [$(stringify!($u)),*].len()] = [$($upurpose),*];
            /// The normals, in `Draws` order.
            pub const NORMALS: [Purpose; [$(stringify!($n)),*].len()] = [$($npurpose),*];
        }

        impl Draws {
            /// The uniforms, in the order of [`purposes::UNIFORMS`].
            pub fn uniforms(&self) -> [f64; purposes::UNIFORMS.len()] {
                [$(self.$u),*]
            }

            /// The normals, in the order of [`purposes::NORMALS`].
            pub fn normals(&self) -> [f64; purposes::NORMALS.len()] {
                [$(self.$n),*]
            }
        }

        impl YearDraws<'_> {
            $(
                #[inline]
                fn $u(self) -> f64 {
                    match self {
                        YearDraws::Keyed(k) => k.uniform(purposes::$upurpose),
                        YearDraws::Given(d) => d.$u,
                    }
                }
            )*
            $(
                #[inline]
                fn $n(self) -> f64 {
                    match self {
                        YearDraws::Keyed(k) => k.normal(purposes::$npurpose),
                        YearDraws::Given(d) => d.$n,
                    }
                }
            )*

            /// Every draw, made now.
            fn values(self) -> Draws {
                Draws {
                    $($u: self.$u(),)*
                    $($n: self.$n(),)*
                    hits: match self {
                        YearDraws::Keyed(k) => Hits::Keyed(k),
                        YearDraws::Given(d) => d.hits,
                    },
                }
            }
        }
    };
}

household_draws! {
    uniforms {
        /// Retirement of a labour unit.
        retire: demography::RETIRE,
        /// A member entering working age.
        entry: demography::ENTRY,
        /// Serious illness.
        ill: health::ILL,
        /// Illness takes a labour unit out of work.
        ill_labour: health::ILL_LABOUR,
        /// Illness becomes chronic.
        ill_chronic: health::ILL_CHRONIC,
        /// Keeping held jobs (one uniform inverts the binomial).
        employ: income::EMPLOY,
        /// Finding jobs for idle units.
        find: income::FIND,
        /// Held jobs idle in a county-wide job collapse year (one uniform inverts the
        /// binomial).
        idle: income::IDLE,
        /// Detection by monitoring.
        detect: monitoring::DETECT,
        /// Dibao enrolment.
        dibao: safety_net::DIBAO,
        /// Skills training.
        train: motivation::TRAIN,
        /// Leaving a failed program.
        program_exit: industry::PROGRAM_EXIT,
    }
    normals {
        /// Illness cost (standard normal).
        ill_cost: health::ILL_COST,
        /// Idiosyncratic disaster loss (standard normal).
        spread: hazards::SPREAD,
        /// Persistent income innovation (standard normal).
        persistent: income::PERSISTENT,
        /// Transitory income shock (standard normal).
        transitory: income::TRANSITORY,
        /// Wage level (standard normal).
        wage: income::WAGE,
        /// Program income (standard normal).
        program: industry::PROGRAM,
    }
}

impl Draws {
    /// Draw household `id`'s year of `ctx`: every draw, made now (the engine makes
    /// each only when a pass needs it, with the same values).
    pub fn new(ctx: &YearContext<'_>, id: u64) -> Self {
        let k = ctx.household_streams.key(id, stream_year(ctx.p, ctx.t));
        YearDraws::Keyed(k).values()
    }

    /// The uniform that decides whether the hazard whose hit purpose is `hit` hits
    /// the household's plots.
    #[inline]
    pub fn hit(&self, hit: Purpose) -> f64 {
        match self.hits {
            Hits::Keyed(k) => k.uniform(hit),
            Hits::Fixed(u) => u,
        }
    }
}

/// A household-year's draws as the passes read them: made from the household's key
/// when a pass first asks (a household that is not ill draws no illness cost, one
/// without a job no wage), or given (rule cases). A draw is a pure function of its
/// key and purpose, so making it late, or not at all, changes no other draw and no
/// value: `Draws::new` makes every one of them from the same accessors.
#[derive(Debug, Clone, Copy)]
enum YearDraws<'a> {
    Keyed(Key),
    Given(&'a Draws),
}

impl YearDraws<'_> {
    /// The uniform that decides whether the hazard whose hit purpose is `hit` hits
    /// the household's plots.
    #[inline]
    fn hit(self, hit: Purpose) -> f64 {
        match self {
            YearDraws::Keyed(k) => k.uniform(hit),
            YearDraws::Given(d) => d.hit(hit),
        }
    }
}

/// Everything that happened to a household in one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearRecord {
    /// The household's index in the population, the key of its random streams (the
    /// state does not keep it: a household's index is its position).
    pub id: u32,
    /// Year index.
    pub t: i32,
    /// The year's poverty line (CNY per person), as the model computed it.
    pub poverty_line: f64,
    /// A labour unit retired.
    pub retired: bool,
    /// A member entered working age.
    pub entered: bool,
    /// The next generation took over.
    pub succession: bool,
    /// Serious illness.
    pub ill: bool,
    /// Cost of the serious illness (CNY).
    pub illness_cost: f64,
    /// The illness took a labour unit out of work.
    pub labour_lost: bool,
    /// The illness became chronic.
    pub became_chronic: bool,
    /// The chronic illness took a labour unit out of work for good.
    pub labour_left: bool,
    /// Whole medical bill, illness plus chronic care (CNY).
    pub medical_bill: f64,
    /// What insurance and assistance paid.
    pub cover: policy::MedicalCover,
    /// Hazards that hit the household's plots, as bits.
    pub hazards: u8,
    /// Share of farm output lost.
    pub farm_loss_share: f64,
    /// Farm and livestock income lost to disasters (CNY).
    pub disaster_loss: f64,
    /// Migrant jobs collapsed.
    pub job_shock: bool,
    /// Enrolled programs that failed, as bits.
    pub programs_failed: u16,
    /// Farm income net of losses (CNY).
    pub farm: f64,
    /// Wage income (CNY), excluding public-welfare jobs.
    pub wage: f64,
    /// Asset income (CNY).
    pub assets: f64,
    /// Industry-program income (CNY).
    pub industry: f64,
    /// Dibao received (CNY).
    pub dibao: f64,
    /// Dibao enrolment this year.
    pub on_dibao: bool,
    /// Pension (CNY).
    pub pension: f64,
    /// Other transfers (CNY).
    pub other_transfers: f64,
    /// Agricultural insurance.
    pub agri: policy::AgriCover,
    /// Labour units able to work.
    pub working: u8,
    /// Labour units employed.
    pub employed: u8,
    /// A job held last year was lost (separation or a collapse of migrant jobs).
    pub job_lost: bool,
    /// Income before rigid spending and monitoring support (CNY).
    pub gross: f64,
    /// Per-capita net income before monitoring support.
    pub y_pre: f64,
    /// The year brought a risk of (re)entering poverty: a large shock, or one of the
    /// events of `identify_on_risk`.
    pub risk: bool,
    /// At risk: a large shock, or income under `tau` with a risk (or already
    /// monitored, or with `identify_on_risk` off).
    pub at_risk: bool,
    /// Monitored group, when at risk.
    pub risk_group: Option<RiskGroup>,
    /// Detected (or already monitored) while at risk.
    pub detected: bool,
    /// Detected for the first time this year.
    pub newly_detected: bool,
    /// Identified for the first time this year but not admitted: monitoring was at its
    /// scale limit (`policy.monitoring.scale_share`).
    pub refused: bool,
    /// The package: claimed in [`begin`], as paid (in `package_share` of its full
    /// amounts) after [`finish`].
    pub package: Package,
    /// Share of the full package the year's budget paid.
    pub package_share: f64,
    /// Detected and holding at least one assistance measure: a paid package, or an
    /// industry program.
    pub served: bool,
    /// Rigid spending counted against the year's income (CNY).
    pub rigid: f64,
    /// Paid from savings (CNY).
    pub from_savings: f64,
    /// Newly borrowed (CNY).
    pub borrowed: f64,
    /// Per-capita net income.
    pub y: f64,
    /// Poor this year.
    pub poor: bool,
    /// Registered, not poor last year, poor now.
    pub returned: bool,
    /// Never registered, not poor last year, poor now.
    pub new_poor: bool,
    /// Cause of the return.
    pub cause: Option<Cause>,
    /// The year-end review verified the household as poor this year (`policy.register`).
    pub verified_poor: bool,
    /// A lifted household verified poor: put back on the register (the administrative
    /// measure of return).
    pub registered_return: bool,
    /// A never-registered household verified poor: registered, or made a monitoring
    /// object, by `policy.register.newly_poor`.
    pub verified_new_poor: bool,
    /// Left monitoring at the end of the year.
    pub exited: bool,
    /// Joined a program for next year.
    pub enrolled: bool,
    /// Received a work reward.
    pub rewarded: bool,
    /// Was trained.
    pub trained: bool,
    /// Motivation at the end of the year.
    pub motivation: f64,
    /// The draw that decides leaving an industry program (used when the year closes;
    /// made only in a year a program of the household's failed, 0 otherwise).
    pub program_exit_draw: f64,
    /// The draw that decides training (used when the year closes; made only when the
    /// motivation policy is on, 0 otherwise).
    pub train_draw: f64,
}

impl YearRecord {
    /// Per-capita income after support on `measure`: `y`, or `y` with the year's
    /// counted rigid spending (out-of-pocket medical costs and debt service) added back.
    pub fn income_on(&self, measure: PanelIncome, size: u8) -> f64 {
        match measure {
            PanelIncome::Net => self.y,
            PanelIncome::BeforeMedical => self.y + self.rigid / f64::from(size),
        }
    }

    /// Per-capita income on the register's measure for a household of `size`: gross
    /// income, before rigid spending and monitoring support. Identification, the
    /// income-fall risk and the exit rule all read it.
    pub fn register_income(&self, size: u8) -> f64 {
        self.gross / f64::from(size)
    }
}

/// Demography, health, disasters, income and the safety net; the household's claim on
/// monitoring support. Mutates only the state these steps change.
pub fn begin(h: &mut Household, id: u32, ctx: &YearContext<'_>) -> YearRecord {
    let k = ctx
        .household_streams
        .key(u64::from(id), stream_year(ctx.p, ctx.t));
    let mut r = begin_from(h, ctx, YearDraws::Keyed(k));
    r.id = id;
    r
}

/// [`begin`] with given draws: policy rule cases fix the year's shocks this way, and
/// run the engine's own code on them.
pub fn begin_with(h: &mut Household, ctx: &YearContext<'_>, d: Draws) -> YearRecord {
    begin_from(h, ctx, YearDraws::Given(&d))
}

/// The first part of the year; the passes run in this order (docs/model.md 2).
fn begin_from(h: &mut Household, ctx: &YearContext<'_>, d: YearDraws<'_>) -> YearRecord {
    let mut r = YearRecord {
        t: ctx.t,
        poverty_line: ctx.z,
        ..YearRecord::default()
    };
    demography::age(h, &mut r, ctx.p, d);
    health::fall_ill(h, &mut r, ctx, d);
    // Dibao enrolment is decided from last year's assessed income, before this year's
    // bills, and brings medical assistance with it.
    safety_net::enrol_dibao(h, &mut r, ctx, d);
    health::cover(h, &mut r, ctx);
    let kept = hazards::strike(h, &mut r, ctx, d);
    let expected_farm = income::earn(h, &mut r, ctx, d, kept);
    industry::earn(h, &mut r, ctx, d);
    safety_net::transfers(h, &mut r, ctx, expected_farm);
    income::gross(&mut r);
    settlement::before_support(h, &mut r, ctx);
    monitoring::identify(h, &mut r, ctx, d);
    r.programs_failed &= h.programs;
    // Drawn only where the year's close reads them: leaving a program that failed,
    // and training, which only the motivation policy offers.
    if r.programs_failed != 0 {
        r.program_exit_draw = d.program_exit();
    }
    if ctx.p.policy.motivation.enabled {
        r.train_draw = d.train();
    }
    r
}

/// Apply the support paid (`share` of a detected household's full package, from
/// [`crate::policy::package_share`]), settle the year, update status, review the register, and count.
/// The passes run in this order (docs/model.md 2).
pub fn finish(
    h: &mut Household,
    r: &mut YearRecord,
    share: f64,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
    panel: &mut PanelTally,
) {
    let p = ctx.p;
    let program_exit_draw = r.program_exit_draw;
    let train_draw = r.train_draw < p.policy.motivation.training_rate.get();
    let medical_relief = monitoring::pay(r, share, tally);
    settlement::settle_year(h, r, ctx, medical_relief);
    status::update(h, r, ctx, tally);
    monitoring::serve(h, r, ctx, tally, medical_relief);
    monitoring::follow(h, r, ctx, tally);
    status::review(h, r, ctx, tally);
    status::count_register(h, r, ctx, tally);
    industry::book(h, r, ctx, tally, program_exit_draw);
    safety_net::book(r, tally, medical_relief);
    motivation::update(h, r, ctx, tally, train_draw);
    status::count(h, r, ctx, tally);
    panel::observe(h, r, ctx, panel);
    carry(h, r);
    safety_net::assess(h, r, ctx);
}

/// What next year reads of this one.
fn carry(h: &mut Household, r: &YearRecord) {
    h.set_poor_prev(r.poor);
    h.prev_y = Half::new(r.y);
    h.prev_register = Half::new(r.register_income(h.size));
    h.prev_rigid = Half::new(r.rigid);
    h.prev_disaster = Half::new(r.disaster_loss);
    h.prev_wage = Half::new(r.wage);
    h.prev_industry = Half::new(r.industry);
    h.prev_working = r.working;
}

#[cfg(test)]
mod tests {
    use super::monitoring::risk;
    use super::panel::follow_spell;
    use super::*;
    use crate::metrics::Program;
    use crate::scenario::Source;

    const CALM_COUNTY: CountyYear = CountyYear {
        price: 1.0,
        job_shock: false,
        failed: 0,
    };

    /// No disasters and a uniform motivation of 0.5.
    fn calm(terrain: &[Village]) -> (Vec<VillageYear>, Vec<f64>) {
        (
            vec![VillageYear::default(); terrain.len()],
            vec![0.5; terrain.len()],
        )
    }

    fn setup(exit_years: u32) -> (Params, Vec<Village>, Household) {
        setup_with("policy.monitoring.exit_years", exit_years)
    }

    /// The baseline with `key` set to `value`, its villages and household 5.
    fn setup_with(key: &str, value: impl ToString) -> (Params, Vec<Village>, Household) {
        let s = Source::new(None).flag(key, value, "test").load().unwrap();
        let terrain = population::villages(&s.params, 0);
        let h = population::household(&s.params, &terrain, 0, 5);
        (s.params, terrain, h)
    }

    #[test]
    fn draws_are_the_purpose_lists_in_order() {
        // The draw floor makes `purposes::UNIFORMS` and `NORMALS`: they must be the
        // draws `Draws::new` makes, in its order.
        let (p, terrain, _) = setup(2);
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(&p, 0, 1, &terrain, &villages, &motivation, CALM_COUNTY);
        let d = Draws::new(&ctx, 9);
        let k = ctx.household_streams.key(9, stream_year(&p, 1));
        assert_eq!(d.uniforms(), purposes::UNIFORMS.map(|q| k.uniform(q)));
        assert_eq!(d.normals(), purposes::NORMALS.map(|q| k.normal(q)));
        // Every purpose is its own: no two draws share a key.
        let mut all: Vec<_> = purposes::UNIFORMS
            .iter()
            .chain(&purposes::NORMALS)
            .collect();
        let n = all.len();
        all.sort_unstable_by_key(|q| format!("{q:?}"));
        all.dedup();
        assert_eq!(all.len(), n, "two draws share a purpose");
        assert_eq!((d.ill, d.program), (d.uniforms()[2], d.normals()[5]));
        assert_eq!(d.hits, Hits::Keyed(k));
    }

    #[test]
    fn a_likelier_hazard_strikes_the_same_villages_with_the_same_losses_and_more() {
        let load = |prob: f64| {
            Source::new(None)
                .flag("shocks.hazards.hail.probability_dry", prob, "test")
                .flag("shocks.hazards.hail.probability_irrigated", prob, "test")
                .load()
                .unwrap()
                .params
        };
        let (rare, common) = (load(0.1), load(0.6));
        let hail = rare
            .shocks
            .hazards
            .keys()
            .position(|n| n == "hail")
            .unwrap();
        let terrain = population::villages(&rare, 0);
        let (mut struck, mut more) = (0, 0);
        for t in 0..5 {
            let a = village_years(&rare, 0, t, &terrain);
            let b = village_years(&common, 0, t, &terrain);
            for (x, y) in a.iter().zip(&b) {
                if x.loss[hail] > 0.0 {
                    struck += 1;
                    assert_eq!(x.loss[hail], y.loss[hail], "common random numbers");
                } else if y.loss[hail] > 0.0 {
                    more += 1;
                }
                // The other hazards do not move.
                for k in (0..MAX_HAZARDS).filter(|k| *k != hail) {
                    assert_eq!(x.loss[k], y.loss[k], "hazard {k}");
                }
            }
        }
        assert!(struck > 0 && more > struck, "{struck} struck, {more} more");
    }

    #[test]
    fn enrolled_walks_the_set_bits_of_enabled_programs_in_order() {
        let s = Source::new(None)
            .flag("policy.industry.programs.sheep.enabled", false, "test")
            .load()
            .unwrap();
        let terrain = population::villages(&s.params, 0);
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(
            &s.params,
            0,
            0,
            &terrain,
            &villages,
            &motivation,
            CALM_COUNTY,
        );
        let names: Vec<&String> = s.params.policy.industry.programs.keys().collect();
        let sheep = names.iter().position(|n| *n == "sheep").unwrap();
        let seen = |bits: u16| -> Vec<usize> { ctx.enrolled(bits).map(|(i, _)| i).collect() };
        assert_eq!(seen(0), Vec::<usize>::new());
        let all = (1u16 << names.len()) - 1;
        let enabled: Vec<usize> = (0..names.len()).filter(|&i| i != sheep).collect();
        assert_eq!(seen(all), enabled);
        assert_eq!(seen(1 << sheep), Vec::<usize>::new());
        // Bits past the last program name nothing.
        assert_eq!(seen(all | 1 << 15), enabled);
        for (i, prog) in ctx.enrolled(all) {
            assert!(std::ptr::eq(
                prog,
                &s.params.policy.industry.programs[names[i]]
            ));
        }
    }

    #[test]
    fn spells_are_followed_from_observation_to_observation() {
        let (_, _, mut h) = setup(2);
        let mut panel = PanelTally::default();
        // Waves two years apart over a 10-year horizon: not poor in burn-in, poor at
        // the wave of year 0, out at year 2, poor again at year 4.
        for (t, poor) in [(-2, false), (0, true), (2, false), (4, true), (6, true)] {
            follow_spell(&mut h, poor, t, 10, &mut panel);
        }
        assert_eq!(panel.spells_started, 2, "the spells of years 0 and 4");
        assert_eq!(
            panel.spells_one_year, 1,
            "only the first is over by its next wave"
        );
        assert_eq!(
            panel.exits_followed, 1,
            "the exit at 2 has 5 years inside 10"
        );
        assert_eq!(panel.reentries, 1, "poor again 2 years after the exit");
        assert_eq!(h.spell, 2, "the second spell has lasted two waves");

        // An exit whose re-entry window runs past the horizon is not followed.
        let (_, _, mut h) = setup(2);
        let mut late = PanelTally::default();
        for (t, poor) in [(4, false), (6, true), (8, false)] {
            follow_spell(&mut h, poor, t, 10, &mut late);
        }
        assert_eq!((late.spells_started, late.spells_one_year), (1, 1));
        assert_eq!(late.exits_followed, 0);
    }

    #[test]
    fn a_job_collapse_idles_jobs_for_its_year_and_the_workers_are_back_the_next() {
        let (p, terrain, mut h) = setup(2);
        let (villages, motivation) = calm(&terrain);
        h.labour = 2;
        h.jobs = 2;
        h.sick_years = 0;
        // Held jobs survive separation (employ near 1) and the collapse idles both
        // (idle 0); no idle unit finds work (find 0); no illness, retirement or entry.
        let never = 1.0 - 1e-12;
        let draws = Draws {
            employ: never,
            idle: 0.0,
            find: 0.0,
            ill: never,
            retire: never,
            entry: never,
            ..Draws::default()
        };
        let collapse = CountyYear {
            job_shock: true,
            ..CALM_COUNTY
        };
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, collapse);
        let r = begin_with(&mut h, &ctx, draws);
        assert!(
            r.job_shock && r.job_lost,
            "the collapse is a job lost for the risk rule"
        );
        assert_eq!((r.employed, r.wage), (0, 0.0), "both jobs idle this year");
        assert_eq!(h.jobs, 2, "but still held");
        let ctx = YearContext::new(&p, 0, 1, &terrain, &villages, &motivation, CALM_COUNTY);
        let r = begin_with(&mut h, &ctx, draws);
        assert!(!r.job_lost);
        assert_eq!(r.employed, 2, "back at work the year after");
        assert!(r.wage > 0.0);
    }

    #[test]
    fn monitored_household_exits_after_stated_years_above_threshold() {
        let (p, terrain, mut h) = setup(2);
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
        h.set_monitored(true);
        h.debt = 0.0;
        let rich = ctx.tau * f64::from(h.size) * 3.0;
        let mut exits = Vec::new();
        for _ in 0..3 {
            let mut r = YearRecord {
                gross: rich,
                ..YearRecord::default()
            };
            let (mut tally, mut panel) = (YearTally::default(), PanelTally::default());
            finish(&mut h, &mut r, 1.0, &ctx, &mut tally, &mut panel);
            assert!(r.y >= ctx.tau);
            exits.push((r.exited, h.monitored()));
        }
        assert_eq!(exits, vec![(false, true), (true, false), (false, false)]);
    }

    #[test]
    fn each_event_of_the_risk_rule_is_a_risk_and_nothing_else_is() {
        const Z: f64 = 2000.0;
        let (p, _, mut h) = setup(1);
        let mon = &p.policy.monitoring;
        let size = f64::from(h.size);
        h.programs = 1;
        h.prev_register = Half::new(5000.0);
        // Income 10% down on last year, no event: no risk.
        let calm = YearRecord {
            gross: 4500.0 * size,
            ..YearRecord::default()
        };
        assert!(!risk(&h, &calm, mon, Z));
        let with = |f: fn(&mut YearRecord)| {
            let mut r = calm.clone();
            f(&mut r);
            risk(&h, &r, mon, Z)
        };
        assert!(with(|r| {
            r.ill = true;
            r.labour_lost = true;
        }));
        // A worker still out from last year's illness is last year's risk.
        assert!(!with(|r| r.labour_lost = true));
        assert!(with(|r| r.job_lost = true));
        assert!(with(|r| r.programs_failed = 1));
        assert!(
            !with(|r| r.programs_failed = 2),
            "not the household's program"
        );
        assert!(with(|r| r.disaster_loss = r.gross * 0.51));
        assert!(!with(|r| r.disaster_loss = r.gross * 0.49));
        assert!(with(|r| r.cover.out_of_pocket = r.gross * 0.51));
        // The income fall, 49% in the baseline: from 5,000 a head to under 2,550.
        let fallen = |head: f64| YearRecord {
            gross: head * size,
            ..calm.clone()
        };
        assert!(risk(&h, &fallen(2500.0), mon, Z));
        assert!(!risk(&h, &fallen(2600.0), mon, Z));
        // Under the line is a risk whatever came before.
        h.prev_register = Half::new(0.0);
        assert!(risk(&h, &fallen(Z - 1.0), mon, Z));
        assert!(!risk(&h, &fallen(Z + 1.0), mon, Z));
    }

    #[test]
    fn settlement_uses_savings_then_income_then_debt() {
        let (p, terrain, mut h) = setup(1);
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
        h.savings = 1000.0;
        h.debt = 0.0;
        let f = &p.finance;
        let gross = 20000.0;
        let s = settle(&h, 20000.0, gross, &ctx);
        assert_eq!(s.from_savings, 1000.0);
        let counted = f.borrowing_threshold.get() * gross;
        assert!((s.rigid - counted).abs() < 1e-9);
        assert!((s.borrowed - (19000.0 - counted)).abs() < 1e-9);
        assert!((s.debt - s.borrowed).abs() < 1e-9);
        assert!((s.y - (gross - counted) / f64::from(h.size)).abs() < 1e-9);
    }

    #[test]
    fn the_budget_share_scales_the_package_paid() {
        let (p, terrain, mut h) = setup(1);
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
        h.debt = 0.0;
        h.programs = 0;
        let base = YearRecord {
            gross: 4000.0,
            detected: true,
            package: Package {
                topup: 2000.0,
                ..Package::default()
            },
            ..YearRecord::default()
        };
        let year = |share: f64| {
            let (mut t, mut pt) = (YearTally::default(), PanelTally::default());
            let mut r = base.clone();
            finish(&mut h.clone(), &mut r, share, &ctx, &mut t, &mut pt);
            (r, t)
        };
        let (none, _) = year(0.0);
        let (half, _) = year(0.5);
        let (full, t) = year(1.0);
        let size = f64::from(h.size);
        assert!((full.y - none.y - 2000.0 / size).abs() < 1e-9);
        assert!((half.y - none.y - 1000.0 / size).abs() < 1e-9);
        assert_eq!(half.package.topup, 1000.0);
        assert!(full.served && half.served);
        // With nothing paid the household still holds a measure: it joins the
        // workshop program.
        assert!(none.served && none.enrolled);
        assert_eq!(t.served, 1);
        assert!((t.costs[Program::MonitoringTopup as usize] - 2000.0).abs() < 1e-9);
    }

    /// One year-end of a household with income `gross` (a calm year), `share` 1.
    fn year_end(
        h: &mut Household,
        ctx: &YearContext<'_>,
        gross: f64,
        detected: bool,
    ) -> (YearRecord, YearTally) {
        let (mut t, mut pt) = (YearTally::default(), PanelTally::default());
        let mut r = YearRecord {
            gross,
            detected,
            at_risk: detected,
            ..YearRecord::default()
        };
        finish(h, &mut r, 1.0, ctx, &mut t, &mut pt);
        (r, t)
    }

    #[test]
    fn a_lifted_household_below_the_line_is_verified_returned_unless_monitoring_has_time() {
        let (p, terrain, mut h) = setup(1);
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
        assert_eq!(p.policy.register.rescue_years, 2);
        h.debt = 0.0;
        h.set_registered(true);
        let poor = 0.5 * ctx.z * f64::from(h.size);
        // Not monitored: verified at its first year-end below the line.
        let mut missed = h.clone();
        let (r, t) = year_end(&mut missed, &ctx, poor, false);
        assert!(r.returned && r.registered_return && missed.verified_poor());
        assert_eq!((t.lifted_on_register, t.registered_returns), (1, 1));
        // Verified poor households are not in the lifted stock again until their
        // income is above the line at a year-end.
        let (_, t) = year_end(&mut missed, &ctx, poor, false);
        assert_eq!((t.lifted_on_register, t.registered_returns), (0, 0));
        year_end(&mut missed, &ctx, 3.0 * ctx.tau * f64::from(h.size), false);
        assert!(!missed.verified_poor());

        // Monitored: the first year-end below the line leaves monitoring time to
        // rescue it; the second verifies it.
        let (r, t) = year_end(&mut h, &ctx, poor, true);
        assert!(r.returned && !r.registered_return && h.monitored());
        assert_eq!((t.lifted_on_register, t.registered_returns), (1, 0));
        let (r, t) = year_end(&mut h, &ctx, poor, true);
        assert!(
            r.registered_return,
            "still below the line after a second year of support"
        );
        assert_eq!(t.registered_returns, 1);
    }

    #[test]
    fn the_register_rule_decides_what_a_newly_poor_household_becomes() {
        let rule = |rule: &str| {
            let (p, terrain, mut h) = setup_with("policy.register.newly_poor", format!("{rule:?}"));
            h.set_registered(false);
            h.set_monitored(false);
            h.debt = 0.0;
            (p, terrain, h)
        };
        // 2013-2020: the annual adjustment reviews every household, found or not, and
        // registers the newly poor.
        let (p, terrain, mut h) = rule("register");
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
        let poor = 0.5 * ctx.z * f64::from(h.size);
        let (r, t) = year_end(&mut h, &ctx, poor, false);
        assert!(r.new_poor && r.verified_new_poor);
        assert_eq!(t.verified_new_poor, 1);
        assert!(h.registered() && !h.monitored());

        // After 2020: a household monitoring has not identified is newly poor on the
        // survey measure only, year after year.
        let (p, terrain, mut unseen) = rule("monitoring");
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
        let mut found = unseen.clone();
        for _ in 0..3 {
            let (r, t) = year_end(&mut unseen, &ctx, poor, false);
            assert!(!r.verified_new_poor && !unseen.verified_poor());
            assert_eq!(t.verified_new_poor, 0);
            assert!(!unseen.registered() && !unseen.monitored());
        }
        // Identified, it is a monitoring object; still below the line after its
        // `rescue_years` (2) year-ends, it is verified newly poor, and never registered.
        let (r, _) = year_end(&mut found, &ctx, poor, true);
        assert!(r.new_poor && !r.verified_new_poor && found.monitored());
        let (r, t) = year_end(&mut found, &ctx, poor, true);
        assert!(r.verified_new_poor && found.verified_poor());
        assert_eq!(t.verified_new_poor, 1);
        assert!(found.monitored() && !found.registered());
    }

    #[test]
    fn risk_is_eliminated_only_with_labour_capacity_unless_the_scenario_allows() {
        for (allow, leaves) in [(false, false), (true, true)] {
            let (p, terrain, mut h) = setup_with("policy.monitoring.exit_without_labour", allow);
            let (villages, motivation) = calm(&terrain);
            let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
            h.debt = 0.0;
            h.labour = 0;
            h.set_monitored(true);
            let rich = 3.0 * ctx.tau * f64::from(h.size);
            let (r, t) = year_end(&mut h, &ctx, rich, false);
            assert_eq!(
                (r.exited, h.monitored()),
                (leaves, !leaves),
                "exit_without_labour = {allow}"
            );
            assert_eq!(t.exited, u64::from(leaves));
        }
    }

    #[test]
    fn a_monitoring_object_whose_risk_was_eliminated_is_counted_so_from_the_start_year() {
        let (p, terrain, mut h) = setup(1);
        let (villages, motivation) = calm(&terrain);
        let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
        let rich = 3.0 * ctx.tau * f64::from(h.size);
        h.debt = 0.0;
        h.labour = 1;
        let mut never = h.clone();
        h.set_monitored(true);
        panel::start_recording(&mut h);
        // Monitored until this year-end, when its risk is eliminated: counted in both.
        let (r, t) = year_end(&mut h, &ctx, rich, false);
        assert!(r.exited && !h.monitored());
        assert_eq!((t.ever_monitored, t.risk_eliminated_stock), (1, 1));
        // And in the years after, while it stays out of monitoring.
        let (_, t) = year_end(&mut h, &ctx, rich, false);
        assert_eq!((t.ever_monitored, t.risk_eliminated_stock), (1, 1));
        // Identified again, it is a monitoring object, not a risk eliminated.
        let poor = 0.5 * ctx.z * f64::from(h.size);
        let (_, t) = year_end(&mut h, &ctx, poor, true);
        assert!(h.monitored());
        assert_eq!((t.ever_monitored, t.risk_eliminated_stock), (1, 0));
        // A household never monitored is in neither count.
        panel::start_recording(&mut never);
        let (_, t) = year_end(&mut never, &ctx, rich, false);
        assert_eq!((t.ever_monitored, t.risk_eliminated_stock), (0, 0));
        // Counting starts again with the recorded years: a burn-in exit is not counted.
        let mut burnt = never.clone();
        burnt.set_monitored(true);
        year_end(&mut burnt, &ctx, rich, false);
        panel::start_recording(&mut burnt);
        let (_, t) = year_end(&mut burnt, &ctx, rich, false);
        assert_eq!((t.ever_monitored, t.risk_eliminated_stock), (0, 0));
    }

    #[test]
    fn risk_is_eliminated_on_stable_income_or_when_it_has_passed_and_never_with_a_new_one() {
        for passes in [false, true] {
            let (p, terrain, mut h) = setup_with("policy.monitoring.exit_when_risk_passes", passes);
            let (villages, motivation) = calm(&terrain);
            let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
            let size = f64::from(h.size);
            // Above the line, under tau: only a risk that has passed ends monitoring.
            let modest = 0.5 * (ctx.z + ctx.tau) * size;
            let rich = 3.0 * ctx.tau * size;
            let mut leaves = |gross: f64, new_risk: bool| {
                h.debt = 0.0;
                h.labour = 1;
                h.years_above = 0;
                h.set_monitored(true);
                let (mut t, mut pt) = (YearTally::default(), PanelTally::default());
                let mut r = YearRecord {
                    gross,
                    risk: new_risk,
                    ..YearRecord::default()
                };
                finish(&mut h, &mut r, 1.0, &ctx, &mut t, &mut pt);
                assert_eq!(r.exited, !h.monitored());
                r.exited
            };
            assert!(leaves(rich, false), "stable income above tau");
            assert!(!leaves(rich, true), "a new risk");
            assert_eq!(
                leaves(modest, false),
                passes,
                "exit_when_risk_passes = {passes}"
            );
            assert!(!leaves(modest, true));
        }
    }
}
