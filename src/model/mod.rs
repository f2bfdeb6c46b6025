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

use crate::metrics::{self, Cause, Falls, PanelTally, Program, RiskGroup, YearTally};
use crate::policy::{self, EffectiveMonitoring, HealthCover, Package};
use crate::population::{self, Half, Household, Share16, Village, Year8};
use crate::rng::{self, Kind, Stream};
use crate::scenario::Params;
use crate::scenario::params::{Actor, Hazard, Monitoring, NewlyPoor, PanelIncome};

/// Number of natural hazards, in the order drought, hail, frost, sandstorm.
pub const HAZARDS: usize = 4;
/// Hazard names, in order.
pub const HAZARD_NAMES: [&str; HAZARDS] = ["drought", "hail", "frost", "sandstorm"];

/// The hazards of a parameter set, in order.
pub fn hazards(p: &Params) -> [&Hazard; HAZARDS] {
    [
        &p.shocks.drought,
        &p.shocks.hail,
        &p.shocks.frost,
        &p.shocks.sandstorm,
    ]
}

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

/// A village's disasters in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VillageYear {
    /// Share of farm output lost by hit households, per hazard (0 if it did not strike).
    pub loss: [f64; HAZARDS],
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
        let z = p.poverty_line.base * (1.0 + p.poverty_line.annual_growth).powf(tf);
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
            growth: (1.0 + p.income.nominal_growth).powf(tf),
            z,
            tau: p.policy.monitoring.threshold_ratio * z,
            dibao_standard: p.policy.social_security.dibao.standard.get()
                * (1.0 + p.policy.social_security.dibao.standard_growth).powf(tf),
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
    let year = stream_year(p, t);
    let mut s = rng::stream(p.simulation.seed, replication, Kind::CountyYear, 0, year);
    let n_price = rng::normal(&mut s);
    let u_job = rng::uniform(&mut s);
    let mut failed = 0u16;
    let ind = &p.policy.industry;
    for (i, (name, prog)) in ind.programs.iter().enumerate() {
        let mut ps = rng::stream(
            p.simulation.seed,
            replication,
            Kind::ProgramYear,
            rng::name_id(name),
            year,
        );
        let u = rng::uniform(&mut ps);
        if u < prog.failure_probability.get() * (1.0 - ind.risk_sharing.get()) {
            failed |= 1 << i;
        }
    }
    let sd = p.shocks.price.sd;
    CountyYear {
        price: if p.shocks.price.enabled {
            (sd * n_price - sd * sd / 2.0).exp()
        } else {
            1.0
        },
        job_shock: p.shocks.job_loss.enabled && u_job < p.shocks.job_loss.probability.get(),
        failed,
    }
}

/// Draw each village's disasters for year index `t`. Each hazard of each village has
/// its own stream, so changing one hazard leaves the others' draws unchanged.
pub fn village_years(
    p: &Params,
    replication: u32,
    t: i32,
    terrain: &[Village],
) -> Vec<VillageYear> {
    let year = stream_year(p, t);
    let hz = hazards(p);
    terrain
        .iter()
        .enumerate()
        .map(|(v, village)| {
            let mut out = VillageYear::default();
            for (k, h) in hz.iter().enumerate() {
                let id = (v as u64) * HAZARDS as u64 + k as u64;
                let mut s =
                    rng::stream(p.simulation.seed, replication, Kind::VillageYear, id, year);
                let u = rng::uniform(&mut s);
                let (prob, mean) = if village.dry {
                    (h.probability_dry.get(), h.loss_mean_dry.get())
                } else {
                    (h.probability_irrigated.get(), h.loss_mean_irrigated.get())
                };
                // The loss is the stream's last draw, so it is drawn only when the
                // hazard strikes: the same value as if always drawn, for less work.
                if h.enabled && u < prob {
                    out.loss[k] = population::beta(&mut s, mean, h.loss_concentration);
                }
            }
            out
        })
        .collect()
}

/// A household's random draws for one year, all made whatever the policy, in this
/// order: retirement, labour entry, illness, illness labour loss, chronic onset, four
/// hazard hits, keeping jobs, finding jobs, detection, dibao, training, program exit (uniforms); then
/// illness cost, disaster spread, persistent shock, transitory shock, wage, program
/// income (standard normals).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Draws {
    /// Retirement of a labour unit.
    pub retire: f64,
    /// A member entering working age.
    pub entry: f64,
    /// Serious illness.
    pub ill: f64,
    /// Illness takes a labour unit out of work.
    pub ill_labour: f64,
    /// Illness becomes chronic.
    pub ill_chronic: f64,
    /// Plots hit by each hazard.
    pub hit: [f64; HAZARDS],
    /// Keeping held jobs (one uniform inverts the binomial).
    pub employ: f64,
    /// Finding jobs for idle units.
    pub find: f64,
    /// Detection by monitoring.
    pub detect: f64,
    /// Dibao enrolment.
    pub dibao: f64,
    /// Skills training.
    pub train: f64,
    /// Leaving a failed program.
    pub program_exit: f64,
    /// Illness cost.
    pub ill_cost: f64,
    /// Idiosyncratic disaster loss.
    pub spread: f64,
    /// Persistent income innovation.
    pub persistent: f64,
    /// Transitory income shock.
    pub transitory: f64,
    /// Wage level.
    pub wage: f64,
    /// Program income.
    pub program: f64,
}

impl Draws {
    /// Draw household `id`'s year of `ctx`.
    pub fn new(ctx: &YearContext<'_>, id: u64) -> Self {
        let mut s: Stream = ctx.household_streams.get(id, stream_year(ctx.p, ctx.t));
        let mut u = || rng::uniform(&mut s);
        let retire = u();
        let entry = u();
        let ill = u();
        let ill_labour = u();
        let ill_chronic = u();
        let hit = [u(), u(), u(), u()];
        let employ = u();
        let find = u();
        let detect = u();
        let dibao = u();
        let train = u();
        let program_exit = u();
        Draws {
            retire,
            entry,
            ill,
            ill_labour,
            ill_chronic,
            hit,
            employ,
            find,
            detect,
            dibao,
            train,
            program_exit,
            ill_cost: rng::normal(&mut s),
            spread: rng::normal(&mut s),
            persistent: rng::normal(&mut s),
            transitory: rng::normal(&mut s),
            wage: rng::normal(&mut s),
            program: rng::normal(&mut s),
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
    /// The draw that decides leaving an industry program (used when the year closes).
    pub program_exit_draw: f64,
    /// The draw that decides training (used when the year closes).
    pub train_draw: f64,
}

impl YearRecord {
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
    let d = Draws::new(ctx, u64::from(id));
    let mut r = begin_with(h, ctx, d);
    r.id = id;
    r
}

/// [`begin`] with given draws: policy rule cases fix the year's shocks this way, and
/// run the engine's own code on them.
pub fn begin_with(h: &mut Household, ctx: &YearContext<'_>, d: Draws) -> YearRecord {
    let p = ctx.p;
    let mut r = YearRecord {
        t: ctx.t,
        poverty_line: ctx.z,
        ..YearRecord::default()
    };
    let g = ctx.growth;

    // 1. Demography.
    let dem = &p.demography;
    if dem.enabled {
        h.head_age = h.head_age.saturating_add(1);
        if f64::from(h.head_age) >= dem.succession_age {
            h.head_age = dem.successor_age.round() as u8;
            r.succession = true;
        }
        if f64::from(h.head_age) >= dem.elderly_age && h.elderly == 0 {
            h.elderly = 1;
        }
        if f64::from(h.head_age) >= dem.retirement_age
            && h.labour > 0
            && d.retire < dem.retirement_probability.get()
        {
            h.labour -= 1;
            r.retired = true;
        } else if h.labour + h.elderly < h.size && d.entry < dem.labour_entry_probability.get() {
            h.labour += 1;
            r.entered = true;
        }
    }

    // 2. Health.
    let ill = &p.shocks.illness;
    let ss = &p.policy.social_security;
    if ill.enabled {
        let age_factor = 1.0 + ill.age_slope * (f64::from(h.head_age) - ill.age_pivot).max(0.0);
        let chronic_factor = if h.chronic > 0 {
            ill.chronic_multiplier
        } else {
            1.0
        };
        let prob = (ill.probability.get() * age_factor * chronic_factor).min(1.0);
        r.ill = d.ill < prob;
        // A worker still recovering from an earlier illness stays out this year.
        if h.sick_years > 0 {
            h.sick_years -= 1;
            r.labour_lost = true;
        }
        if r.ill {
            r.illness_cost = ill.cost_median.get() * g * (ill.cost_sigma * d.ill_cost).exp();
            if d.ill_labour < ill.labour_loss_probability.get() {
                r.labour_lost = true;
                h.sick_years = ill.labour_loss_years.saturating_sub(1).min(255) as u8;
            }
            if d.ill_chronic < ill.chronic_onset_probability.get() && h.chronic < h.size {
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
    let cover = HealthCover {
        basic: (ss.enabled && ss.medical_insurance.enabled).then_some(&ss.medical_insurance),
        serious: (ss.enabled && ss.serious_illness.enabled).then_some(&ss.serious_illness),
        assistance: (ss.enabled && ss.medical_assistance.enabled).then_some(&ss.medical_assistance),
    };
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
            d.dibao,
        )
    } else {
        policy::DibaoDecision::default()
    };
    h.set_on_dibao(dib.enrolled);
    r.on_dibao = dib.enrolled;
    r.dibao = dib.payment;
    r.cover = policy::medical_cover(
        r.medical_bill,
        &cover,
        h.medical_insured(),
        h.on_dibao() || h.monitored(),
        h.on_dibao(),
    );

    // 3. Disasters.
    let village = ctx.villages[h.village as usize];
    let spread = p.shocks.disaster_spread;
    let mut keep_farm = 1.0;
    let mut keep_livestock = 1.0;
    for (k, hz) in hazards(p).iter().enumerate() {
        if village.loss[k] > 0.0 && d.hit[k] < hz.affected_share.get() {
            let loss =
                (village.loss[k] * (spread * d.spread - spread * spread / 2.0).exp()).min(1.0);
            keep_farm *= 1.0 - loss;
            keep_livestock *= 1.0 - hz.livestock_loss.get();
            r.hazards |= 1 << k;
        }
    }
    r.farm_loss_share = 1.0 - keep_farm;

    // 4. Income.
    let inc = &p.income;
    let shocks = &p.shocks.income;
    let transitory = if shocks.enabled {
        h.u = (shocks.rho * f64::from(h.u) + shocks.persistent_sd * d.persistent) as f32;
        shocks.transitory_sd * d.transitory
    } else {
        h.u = 0.0;
        0.0
    };
    let multiplier =
        (f64::from(h.alpha) + f64::from(h.u) + transitory - ctx.variance_correction).exp();
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
    // finds one at the rate that makes `employment_probability` the steady state.
    let sep = inc.job_separation.get();
    let mut keep = 1.0 - sep;
    r.job_shock = ctx.county.job_shock;
    let shock = if r.job_shock {
        p.shocks.job_loss.employment_multiplier.get()
    } else {
        1.0
    };
    if r.job_shock {
        keep *= shock;
    }
    let held = h.jobs.min(r.working);
    let kept = population::binomial(u32::from(held), keep, d.employ);
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
        population::binomial(u32::from(r.working - held), find, d.find)
    } else {
        0
    };
    r.employed = (kept + found) as u8;
    r.job_lost = kept < u32::from(held);
    h.jobs = r.employed;
    let ws = inc.wage_sigma;
    r.wage = if r.employed > 0 {
        f64::from(r.employed)
            * inc.wage_mean.get()
            * g
            * (ws * d.wage - ws * ws / 2.0).exp()
            * multiplier
    } else {
        0.0
    };

    let ind = &p.policy.industry;
    if ind.enabled {
        for (i, prog) in ctx.enrolled(h.programs) {
            let s = prog.income_sigma;
            let mut income = prog.income_mean.get()
                * g
                * (s * d.program - s * s / 2.0).exp()
                * (1.0
                    + prog.motivation_effect
                        * (h.m.get() - p.population.motivation_reference.get()));
            if ctx.county.failed & (1 << i) != 0 {
                income *= prog.failure_income_share.get();
                r.programs_failed |= 1 << i;
            }
            r.industry += income.max(0.0);
        }
    }

    if ss.enabled && ss.pension.enabled {
        r.pension = f64::from(h.elderly) * ss.pension.monthly.get() * 12.0;
    }
    r.other_transfers = inc.other_transfers_per_capita.get() * f64::from(h.size) * g;
    if ss.enabled && ss.agricultural_insurance.enabled && h.agri_insured() {
        r.agri = policy::agricultural_insurance(
            &ss.agricultural_insurance,
            expected_farm,
            r.farm_loss_share,
        );
    }
    r.gross = r.farm
        + r.wage
        + r.assets
        + r.industry
        + r.dibao
        + r.pension
        + r.other_transfers
        + r.agri.indemnity
        - r.agri.farmer_premium;
    let pre = settle(h, r.cover.out_of_pocket, r.gross, ctx);
    r.y_pre = pre.y;

    // 5. Monitoring: who is at risk, who is detected, what they would get.
    let mon = &p.policy.monitoring;
    // The threshold applies to the register's per-capita net income, which does not
    // deduct medical spending: large rigid spending is the separate shock criterion
    // (the sudden-difficulty group), as the monitoring rules define them.
    let size = f64::from(h.size);
    let y_register = r.register_income(h.size);
    let loss = r.cover.out_of_pocket + r.disaster_loss;
    let shock = loss > mon.shock_threshold.get() * g;
    let below = y_register < ctx.tau;
    r.risk = shock || risk(h, &r, mon, ctx.z);
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
        r.detected = h.monitored() || d.detect < ctx.monitoring.detection;
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
    r.programs_failed &= h.programs;
    r.program_exit_draw = d.program_exit;
    r.train_draw = d.train;
    r
}

/// Whether the year brought a household a risk of (re)entering poverty, the condition
/// on which income under the threshold identifies it (`identify_on_risk`): a labour
/// unit lost to this year's illness or a job lost (因病、因就业), a failed program
/// (因产业), rigid spending and disaster loss above `risk_loss_share` of gross income
/// (刚性支出较大、因灾), the register's income down by `risk_income_fall` on last year
/// (收入大幅缩减), or that income under the poverty line `z` itself.
fn risk(h: &Household, r: &YearRecord, mon: &Monitoring, z: f64) -> bool {
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

/// The county step between the passes: the share of every detected household's full
/// package that the year's budget pays (MODEL.md 3.1), for a county of `records`.
pub fn package_share(records: &[YearRecord], p: &Params) -> f64 {
    let claimed: f64 = records
        .iter()
        .filter(|r| r.detected)
        .map(|r| r.package.cost())
        .sum();
    policy::package_share(claimed, budget(p, records.len()))
}

/// The result of paying rigid spending for the year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settlement {
    /// Rigid spending counted against the year's income.
    pub rigid: f64,
    /// Paid from savings.
    pub from_savings: f64,
    /// Newly borrowed.
    pub borrowed: f64,
    /// Savings afterwards.
    pub savings: f64,
    /// Debt afterwards.
    pub debt: f64,
    /// Per-capita net income.
    pub y: f64,
}

/// Pay out-of-pocket medical spending and debt service: from savings first, then from
/// income up to `borrowing_threshold` of gross income; the rest is borrowed and repaid
/// in later years. What is paid from income counts against `y`.
pub fn settle(h: &Household, out_of_pocket: f64, gross: f64, ctx: &YearContext<'_>) -> Settlement {
    let f = &ctx.p.finance;
    let size = f64::from(h.size);
    if !f.enabled {
        return Settlement {
            rigid: out_of_pocket,
            from_savings: 0.0,
            borrowed: 0.0,
            savings: f64::from(h.savings),
            debt: f64::from(h.debt),
            y: (gross - out_of_pocket) / size,
        };
    }
    let savings = f64::from(h.savings);
    let debt = f64::from(h.debt);
    let service = debt * f.debt_repayment_rate.get();
    let rigid = out_of_pocket + service;
    let from_savings = rigid.min(savings);
    let rest = rigid - from_savings;
    let borrowed = (rest - f.borrowing_threshold.get() * gross.max(0.0)).max(0.0);
    let counted = rest - borrowed;
    let net = gross - counted;
    let surplus = net - f.consumption_floor_ratio * ctx.z * size;
    Settlement {
        rigid: counted,
        from_savings,
        borrowed,
        savings: savings - from_savings + f.saving_rate.get() * surplus.max(0.0),
        debt: debt - service + borrowed,
        y: net / size,
    }
}

/// Apply the support paid (`share` of a detected household's full package, from
/// [`package_share`]), settle the year, update status, review the register, and count.
pub fn finish(
    h: &mut Household,
    r: &mut YearRecord,
    share: f64,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
    panel: &mut PanelTally,
) {
    let p = ctx.p;
    let size = f64::from(h.size);
    let program_exit_draw = r.program_exit_draw;
    let train_draw = r.train_draw < p.policy.motivation.training_rate.get();

    if r.detected {
        tally.claimed += r.package.cost();
        r.package_share = share;
        r.package = r.package.scaled(share);
    } else {
        r.package = Package::default();
    }
    let pk = r.package;
    let extra_income = pk.topup + pk.conditional + pk.job;
    let medical_relief = pk.medical.min(r.cover.out_of_pocket);
    let s = settle(
        h,
        r.cover.out_of_pocket - medical_relief,
        r.gross + extra_income,
        ctx,
    );
    r.rigid = s.rigid;
    r.from_savings = s.from_savings;
    r.borrowed = s.borrowed;
    r.y = s.y;
    h.savings = s.savings as f32;
    h.debt = s.debt as f32;
    r.poor = r.y < ctx.z;

    // Status.
    let recording = ctx.t >= 0;
    if h.registered() && !h.poor_prev() {
        tally.lifted_at_risk += 1;
        if r.poor {
            r.returned = true;
            tally.returns += 1;
            tally.returns_persons += u64::from(h.size);
        }
    }
    if !h.registered() && !h.poor_prev() {
        tally.never_registered_at_risk += 1;
        if r.poor {
            r.new_poor = true;
            tally.new_poor += 1;
        }
    }
    if r.returned {
        let labour_fall = if r.working < h.prev_working && h.prev_working > 0 {
            h.prev_wage.get() * f64::from(h.prev_working - r.working) / f64::from(h.prev_working)
        } else {
            0.0
        };
        let wage_fall = h.prev_wage.get() - r.wage;
        let labour = labour_fall.min(wage_fall.max(0.0));
        let cause = metrics::attribute(&Falls {
            illness: r.rigid - h.prev_rigid.get(),
            disaster: r.disaster_loss - h.prev_disaster.get(),
            job: wage_fall - labour,
            program: h.prev_industry.get() - r.industry,
            labour,
            total: (h.prev_y.get() - r.y) * size,
        });
        r.cause = Some(cause);
        tally.causes[cause as usize] += 1;
        if recording {
            if h.returns == 0 {
                h.first_return = Year8::new(ctx.t as i16);
            }
            h.returns = h.returns.saturating_add(1);
        }
    }

    // Monitoring.
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
    review(h, r, ctx, tally);
    tally.monitored += u64::from(h.monitored());
    if h.registered() {
        tally.registered += 1;
        tally.monitored_lifted += u64::from(h.monitored());
    }

    // Program costs and failures.
    let ind = &p.policy.industry;
    if ind.enabled {
        for (i, prog) in ctx.enrolled(h.programs) {
            tally.spend(Program::Industry, prog.actor, prog.cost_per_household.get());
            if r.programs_failed & (1 << i) != 0
                && program_exit_draw < prog.failure_exit_share.get()
            {
                h.programs &= !(1 << i);
            }
        }
    }

    // Safety-net costs.
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

    // Motivation.
    let mut m = h.m.get();
    let beh = &p.behaviour;
    if beh.neighbours.enabled {
        m += beh.neighbours.pull.get() * (ctx.village_motivation[h.village as usize] - m);
    }
    let unconditional = r.dibao > 0.0 || (r.served && r.package.topup > 0.0);
    if unconditional {
        h.support_years = h.support_years.saturating_add(1);
        if beh.dependency.enabled {
            let full = f64::from(beh.dependency.full_after_years);
            m -= beh.dependency.rate.get() * (f64::from(h.support_years).min(full) / full);
        }
    } else {
        h.support_years = 0;
    }
    let mo = &p.policy.motivation;
    if mo.enabled && (h.registered() || h.monitored()) {
        let works = r.employed > 0 || (r.served && r.package.job > 0.0);
        if works && mo.incentive_reward.get() > 0.0 {
            r.rewarded = true;
            m += mo.incentive_motivation_gain.get();
            tally.spend(
                Program::Incentives,
                Actor::Government,
                mo.incentive_reward.get(),
            );
        }
        if h.labour > 0 && train_draw {
            r.trained = true;
            h.skill = (f64::from(h.skill) + mo.training_skill_gain).min(p.population.schooling_max)
                as f32;
            m += mo.training_motivation_gain.get();
            tally.spend(Program::Training, Actor::Government, mo.training_cost.get());
        }
    }
    h.m = Share16::new(m);
    r.motivation = h.m.get();

    // Tallies.
    tally.households += 1;
    tally.income += r.y;
    if h.registered() {
        // The register's income: before medical spending, as the register measures
        // net income (transfers and support included).
        tally.lifted_persons += u64::from(h.size);
        tally.lifted_income += r.y * size + r.rigid;
    }
    tally.poverty(h.group as usize, u64::from(h.size), r.y / ctx.z);

    if recording && h.group == population::Group::Lifted {
        tally.initially_lifted += 1;
        tally.ever_returned += u64::from(h.returns > 0);
    }

    // Spells, exits, re-entries and the transient share, for the calibration targets,
    // on the scenario's panel income. Spells are followed from one panel observation
    // to the next (every `panel_interval` years, as a biennial survey sees them); the
    // transient share uses every year.
    let y_panel = match p.poverty_line.panel_income {
        PanelIncome::Net => r.y,
        PanelIncome::BeforeMedical => r.y + r.rigid / size,
    };
    if recording {
        let relative = y_panel / ctx.z;
        h.sum_relative_income += relative as f32;
        h.sum_squared_gap += (1.0 - relative).clamp(0.0, 1.0).powi(2) as f32;
    }
    if ctx.panel_observed {
        follow_spell(h, y_panel < ctx.z, ctx.t, p.simulation.years, panel);
    }

    // Carry to next year.
    h.set_poor_prev(r.poor);
    h.prev_y = Half::new(r.y);
    h.prev_register = Half::new(r.register_income(h.size));
    h.prev_rigid = Half::new(r.rigid);
    h.prev_disaster = Half::new(r.disaster_loss);
    h.prev_wage = Half::new(r.wage);
    h.prev_industry = Half::new(r.industry);
    h.prev_working = r.working;
    let topup_paid = r.package.topup + r.package.conditional;
    let income = (r.y - (r.dibao + topup_paid) / size).max(-1e9);
    h.assessed = policy::dibao_assessment(&p.policy.social_security.dibao, h.assessed, income);
}

/// The register's year-end review (`policy.register`): a household whose income after
/// support is below the line is verified poor, unless monitoring is still given time
/// to rescue it (a monitoring object below the line at fewer than `rescue_years`
/// consecutive year-ends). A lifted household verified poor is a registered return; a
/// never-registered one is newly poor, and is put on the register (2013-2020 rules)
/// or made a monitoring object (after 2020). Verified poor households are cleared at
/// the first year-end above the line.
fn review(h: &mut Household, r: &mut YearRecord, ctx: &YearContext<'_>, tally: &mut YearTally) {
    let reg = &ctx.p.policy.register;
    h.below_years = if r.poor {
        h.below_years.saturating_add(1)
    } else {
        0
    };
    if h.verified_poor() {
        h.set_verified_poor(r.poor);
        return;
    }
    if h.registered() {
        tally.lifted_on_register += 1;
    } else {
        tally.unregistered_not_poor += 1;
    }
    let rescue = h.monitored() && u32::from(h.below_years) < reg.rescue_years;
    if !r.poor || rescue {
        return;
    }
    r.verified_poor = true;
    h.set_verified_poor(true);
    if h.registered() {
        r.registered_return = true;
        tally.registered_returns += 1;
        return;
    }
    r.verified_new_poor = true;
    tally.verified_new_poor += 1;
    match reg.newly_poor {
        NewlyPoor::Register => h.set_registered(true),
        NewlyPoor::Monitoring if ctx.p.policy.monitoring.enabled => h.set_monitored(true),
        NewlyPoor::Monitoring => {}
    }
}

/// Follow a household's poverty spell on the panel to an observation in year `t`
/// (negative in burn-in, when nothing is counted): spells that started at the previous
/// observation and end at this one, exits with a full re-entry window inside the
/// `years` of the horizon, and re-entries within that window.
fn follow_spell(h: &mut Household, panel_poor: bool, t: i32, years: u32, panel: &mut PanelTally) {
    let recording = t >= 0;
    if recording {
        if panel_poor && h.last_exit.get() >= 0 {
            if t as i16 - h.last_exit.get() <= metrics::REENTRY_WINDOW {
                panel.reentries += 1;
            }
            h.last_exit = Year8::NONE;
        }
        // A spell first seen at the previous observation (`spell` is 0 when the
        // household was not poor then): over by this one or not.
        if h.spell == 1 && h.spell_observed() {
            panel.spells_started += 1;
            panel.spells_one_year += u64::from(!panel_poor);
        }
        if h.panel_poor_prev() && !panel_poor {
            if t as i16 + metrics::REENTRY_WINDOW < years as i16 {
                panel.exits_followed += 1;
                h.last_exit = Year8::new(t as i16);
            } else {
                h.last_exit = Year8::NONE;
            }
        }
    }
    if panel_poor {
        if !h.panel_poor_prev() {
            h.spell = 1;
            h.set_spell_observed(recording);
        } else {
            h.spell = h.spell.saturating_add(1);
        }
    } else {
        h.spell = 0;
    }
    h.set_panel_poor_prev(panel_poor);
}

/// Reset the whole-horizon history at the end of burn-in.
pub fn start_recording(h: &mut Household) {
    h.returns = 0;
    h.first_return = Year8::NONE;
    h.last_exit = Year8::NONE;
    h.sum_relative_income = 0.0;
    h.sum_squared_gap = 0.0;
    h.set_spell_observed(false);
}

/// Close a household's panel figures at the end of the horizon.
pub fn close_panel(h: &Household, years: u32, panel: &mut PanelTally) {
    if h.group == population::Group::Lifted {
        panel.initially_lifted += 1;
        if h.returns > 0 {
            panel.ever_returned += 1;
            panel.years_to_first_return += (h.first_return.get() + 1) as u64;
        }
    }
    // Jalan and Ravallion (1998, J. Dev. Econ. 58): total poverty is the mean over
    // years of FGT2; chronic poverty is FGT2 of the household's mean income; the
    // transient component is the difference.
    let n = f64::from(years);
    panel.total_squared_gap += f64::from(h.sum_squared_gap) / n;
    let mean = f64::from(h.sum_relative_income) / n;
    panel.chronic_squared_gap += (1.0 - mean).clamp(0.0, 1.0).powi(2);
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn a_likelier_hazard_strikes_the_same_villages_with_the_same_losses_and_more() {
        let load = |prob: f64| {
            Source::new(None)
                .flag("shocks.hail.probability_dry", prob, "test")
                .flag("shocks.hail.probability_irrigated", prob, "test")
                .load()
                .unwrap()
                .params
        };
        let (rare, common) = (load(0.1), load(0.6));
        let terrain = population::villages(&rare, 0);
        let (mut struck, mut more) = (0, 0);
        for t in 0..5 {
            let a = village_years(&rare, 0, t, &terrain);
            let b = village_years(&common, 0, t, &terrain);
            for (x, y) in a.iter().zip(&b) {
                if x.loss[1] > 0.0 {
                    struck += 1;
                    assert_eq!(x.loss[1], y.loss[1], "common random numbers");
                } else if y.loss[1] > 0.0 {
                    more += 1;
                }
                // The other hazards do not move.
                assert_eq!(
                    (x.loss[0], x.loss[2], x.loss[3]),
                    (y.loss[0], y.loss[2], y.loss[3])
                );
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
        for (rule, registered, monitored) in
            [("register", true, false), ("monitoring", false, true)]
        {
            let (p, terrain, mut h) = setup_with("policy.register.newly_poor", format!("{rule:?}"));
            let (villages, motivation) = calm(&terrain);
            let ctx = YearContext::new(&p, 0, 0, &terrain, &villages, &motivation, CALM_COUNTY);
            h.set_registered(false);
            h.set_monitored(false);
            h.debt = 0.0;
            let poor = 0.5 * ctx.z * f64::from(h.size);
            let (r, t) = year_end(&mut h, &ctx, poor, false);
            assert!(r.new_poor && r.verified_new_poor, "{rule}");
            assert_eq!(t.verified_new_poor, 1);
            assert_eq!(
                (h.registered(), h.monitored()),
                (registered, monitored),
                "{rule}"
            );
        }
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
