//! Policy rule cases, in the spirit of OpenFisca's YAML tests: one household, one year,
//! fixed shocks, expected transfers, costs and income.
//!
//! A case file states a household, parameter changes (over the built-in baseline), the
//! shocks that hit it that year, and the expected values. The case runner turns the
//! shocks into the draws that produce them and steps the engine's own year, budget
//! step included, through the step API ([`Simulation::step_given`] on a county of one
//! household), so a passing case shows what the simulator really does.
//!
//! ```toml
//! description = "Dibao fills the gap to the standard"
//! [scenario.policy.social_security.dibao]
//! coverage = 1.0
//! [household]
//! size = 4
//! assessed_income = 3000     # last year's per-capita income, as dibao assesses it
//! [shocks]
//! ill = false
//! [expected]
//! dibao = 6400.0             # (4,600 - 3,000) x 4
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::metrics::YearTally;
use crate::model::{CountyYear, Draws, Hits, VillageYear, YearRecord};
use crate::population::{self, Group, Household, Village};
use crate::rng::math;
use crate::runner::{Given, Silent, Simulation};
use crate::scenario::households::HouseholdRow;
use crate::scenario::{self, Origin, ScenarioError, Source};

/// Just below one: a uniform draw that fails every probability test below one.
const NEVER: f64 = 1.0 - 1e-12;

/// A case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case checks.
    pub description: String,
    /// Parameter changes, as nested tables, over the built-in baseline.
    #[serde(default)]
    pub scenario: toml::Table,
    /// The household at the start of the year.
    #[serde(default)]
    pub household: CaseHousehold,
    /// This year's shocks.
    #[serde(default)]
    pub shocks: CaseShocks,
    /// Expected values: record fields and cost metrics (see [`values`]).
    pub expected: BTreeMap<String, toml::Value>,
    /// Absolute tolerance on money and rates.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
}

fn default_tolerance() -> f64 {
    0.01
}

/// A household's state at the start of the year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaseHousehold {
    /// Persons.
    pub size: u8,
    /// Labour units.
    pub labour: u8,
    /// Labour units holding a job (kept this year unless `job_shock` says otherwise).
    pub jobs: u8,
    /// Members of pension age.
    pub elderly: u8,
    /// Head's age (after this year's birthday is not applied: demography is off).
    pub head_age: u8,
    /// Years of schooling.
    pub schooling: f64,
    /// Chronically ill members.
    pub chronic: u8,
    /// Land (mu).
    pub land: f64,
    /// Irrigated share of land.
    pub irrigated_share: f64,
    /// Lives in a dry mountain village.
    pub dry_village: bool,
    /// Productive assets (CNY).
    pub assets: f64,
    /// Savings (CNY).
    pub savings: f64,
    /// Debt (CNY).
    pub debt: f64,
    /// `lifted` (registered), `marginal` or `other`.
    pub group: String,
    /// Motivation.
    pub motivation: f64,
    /// Permanent log-income effect.
    pub alpha: f64,
    /// Persistent log-income component before this year's shock.
    pub u: f64,
    /// Enrolled in basic medical insurance.
    pub medical_insured: bool,
    /// Buys agricultural insurance.
    pub agri_insured: bool,
    /// On dibao last year.
    pub on_dibao: bool,
    /// Reached by dibao when eligible (not an exclusion error).
    pub dibao_access: bool,
    /// Last year's per-capita income as dibao assesses it.
    pub assessed_income: f64,
    /// Last year's per-capita income on the register's measure: this year's income
    /// under `1 - risk_income_fall` of it is a risk (`policy.monitoring.identify_on_risk`).
    /// 0, the default, for no income fall.
    pub last_income: f64,
    /// Under monitoring at the start of the year.
    pub monitored: bool,
    /// Poor last year.
    pub poor_last_year: bool,
    /// Industry programs enrolled in.
    pub programs: Vec<String>,
}

impl Default for CaseHousehold {
    fn default() -> Self {
        CaseHousehold {
            size: 4,
            labour: 2,
            jobs: 0,
            elderly: 0,
            head_age: 45,
            schooling: 7.5,
            chronic: 0,
            land: 0.0,
            irrigated_share: 1.0,
            dry_village: false,
            assets: 0.0,
            savings: 0.0,
            debt: 0.0,
            group: "other".into(),
            motivation: 0.5,
            alpha: 0.0,
            u: 0.0,
            medical_insured: true,
            agri_insured: false,
            on_dibao: false,
            dibao_access: true,
            assessed_income: 1e9,
            last_income: 0.0,
            monitored: false,
            poor_last_year: false,
            programs: Vec::new(),
        }
    }
}

/// The shocks of the year, fixed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaseShocks {
    /// A serious illness strikes.
    pub ill: bool,
    /// Its cost (CNY), when `ill`.
    pub illness_cost: f64,
    /// It keeps a labour unit out of work.
    pub labour_lost: bool,
    /// It becomes chronic.
    pub became_chronic: bool,
    /// Village loss share per hazard that strikes (drought, hail, frost, sandstorm);
    /// the household's plots are hit with exactly that share.
    pub disasters: BTreeMap<String, f64>,
    /// Farm price multiplier (default 1).
    pub price: Option<f64>,
    /// Migrant jobs collapse: every held job is idle for the year.
    pub job_shock: bool,
    /// Idle labour units that find a job.
    pub jobs_found: bool,
    /// Industry programs that fail this year.
    pub failed_programs: Vec<String>,
    /// Persistent income innovation `e_t` (log), default 0.
    pub persistent: f64,
    /// Transitory income shock (log), default 0.
    pub transitory: f64,
    /// Monitoring detects the household, if at risk.
    pub detected: bool,
    /// An ineligible household is enrolled in dibao anyway (inclusion error).
    pub dibao_inclusion: bool,
    /// The household is picked for training.
    pub trained: bool,
    /// The household leaves a failed program.
    pub leaves_failed_program: bool,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The case's description.
    pub description: String,
    /// (key, expected, actual) for each expectation that failed.
    pub failures: Vec<(String, f64, Option<f64>)>,
    /// Every value the case produced.
    pub values: BTreeMap<String, f64>,
}

impl Outcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Read a case file.
pub fn load(path: &Path) -> Result<Case, ScenarioError> {
    scenario::read_typed(
        path,
        "a case has description, [scenario], [household], [shocks] and [expected]",
    )
}

/// Run a case: the first year of the horizon, with demography and burn-in off.
pub fn run(case: &Case, source_name: &str) -> Result<Outcome, ScenarioError> {
    let mut leaves = std::collections::BTreeMap::new();
    crate::scenario::tree::flatten_value(
        "",
        &toml::Value::Table(case.scenario.clone()),
        &mut leaves,
    );
    let overrides: Vec<(String, String)> = leaves
        .into_iter()
        .map(|(key, value)| match value {
            toml::Value::String(s) => (key, s),
            other => (key, other.to_string()),
        })
        .collect();
    let mut src = Source::new(None)
        .flag("simulation.households", 1, source_name)
        .flag("simulation.villages", 1, source_name)
        .flag("simulation.burn_in_years", 0, source_name)
        .flag("demography.enabled", false, source_name);
    for (k, v) in overrides {
        src = src.flag(&k, v, source_name);
    }
    let s = src.load()?;
    let p = &s.yearly[0];
    let programs: Vec<&String> = p.policy.industry.programs.keys().collect();
    let bits =
        |names: &[String], key: &str| -> Result<u16, ScenarioError> {
            let mut b = 0u16;
            for n in names {
                let i = programs.iter().position(|x| *x == n).ok_or_else(|| {
                    ScenarioError::OutOfRange {
                        at: Origin::flag(source_name),
                        key: key.into(),
                        value: n.clone(),
                        rule: format!(
                            "no such program; the programs are {}",
                            programs
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                })?;
                b |= 1 << i;
            }
            Ok(b)
        };

    let ch = &case.household;
    let group = match ch.group.as_str() {
        "lifted" => Group::Lifted,
        "marginal" => Group::Marginal,
        "other" => Group::Other,
        g => {
            return Err(ScenarioError::OutOfRange {
                at: Origin::flag(source_name),
                key: "household.group".into(),
                value: g.into(),
                rule: "must be lifted, marginal or other".into(),
            });
        }
    };
    // The observed state as a survey row would give it, read the way a households CSV
    // is read; then the state a survey does not give.
    let terrain = [Village {
        dry: ch.dry_village,
    }];
    let row = HouseholdRow {
        village: 0,
        size: ch.size.max(1),
        labour: ch.labour.min(ch.size.max(1)),
        elderly: ch.elderly.min(ch.size.max(1)),
        head_age: ch.head_age,
        schooling: ch.schooling,
        chronic: ch.chronic.min(ch.size.max(1)),
        disabled: 0,
        land: ch.land,
        irrigated_share: ch.irrigated_share,
        assets: ch.assets,
        savings: ch.savings,
        debt: ch.debt,
        group: ch.group.clone(),
        motivation: ch.motivation,
        medical_insured: ch.medical_insured,
        agri_insured: ch.agri_insured,
    };
    let mut h = population::household_from_row(p, &terrain, 0, 0, &row);
    debug_assert_eq!(h.group, group);
    h.set_on_dibao(ch.on_dibao);
    h.set_monitored(ch.monitored);
    h.prev_register = population::Half::new(ch.last_income);
    h.set_poor_prev(ch.poor_last_year);
    h.set_panel_poor_prev(ch.poor_last_year);
    h.dibao_access = population::Draw16::new(if ch.dibao_access { 0.0 } else { 1.0 });
    h.jobs = ch.jobs.min(h.labour);
    h.programs = bits(&ch.programs, "household.programs")?;
    h.u = ch.u as f32;
    h.alpha = ch.alpha as f32;
    h.assessed = ch.assessed_income as f32;
    h.prev_working = h.labour;

    let sh = &case.shocks;
    let mut village = VillageYear::default();
    for (name, loss) in &sh.disasters {
        let k = p
            .shocks
            .hazards
            .keys()
            .position(|n| n == name)
            .ok_or_else(|| {
                let names: Vec<&str> = p.shocks.hazards.keys().map(String::as_str).collect();
                ScenarioError::OutOfRange {
                    at: Origin::flag(source_name),
                    key: format!("shocks.disasters.{name}"),
                    value: loss.to_string(),
                    rule: format!("the hazards are {}", names.join(", ")),
                }
            })?;
        village.loss[k] = *loss;
    }
    let ill = &p.shocks.illness;
    let g = 1.0;
    let ill_cost =
        if sh.ill && ill.cost_median.get() > 0.0 && ill.cost_sigma > 0.0 && sh.illness_cost > 0.0 {
            math::ln(sh.illness_cost / (ill.cost_median.get() * g)) / ill.cost_sigma
        } else {
            0.0
        };
    let yes = |b: bool| if b { 0.0 } else { NEVER };
    let spread = p.shocks.disaster_spread;
    let inc = &p.shocks.income;
    let first_program_sigma = p
        .policy
        .industry
        .programs
        .iter()
        .find(|(n, _)| ch.programs.contains(n))
        .map_or(0.0, |(_, pr)| pr.income_sigma);
    let per = |x: f64, sd: f64| if sd > 0.0 { x / sd } else { 0.0 };
    let d = Draws {
        retire: NEVER,
        entry: NEVER,
        ill: yes(sh.ill),
        ill_labour: yes(sh.labour_lost),
        ill_chronic: yes(sh.became_chronic),
        // Every hazard that strikes the village hits the household's plots.
        hits: Hits::Fixed(0.0),
        // Keep every held job, idle for the year if jobs collapse; find one for each
        // idle unit if asked.
        employ: NEVER,
        idle: if sh.job_shock { 0.0 } else { NEVER },
        find: if sh.jobs_found { NEVER } else { 0.0 },
        detect: yes(sh.detected),
        dibao: yes(sh.dibao_inclusion),
        train: yes(sh.trained),
        program_exit: yes(sh.leaves_failed_program),
        ill_cost,
        // Draws at which the log-normal multipliers are exactly one.
        spread: spread / 2.0,
        persistent: per(sh.persistent, inc.persistent_sd),
        transitory: per(sh.transitory, inc.transitory_sd),
        wage: p.income.wage_sigma / 2.0,
        program: first_program_sigma / 2.0,
    };
    let county = CountyYear {
        price: sh.price.unwrap_or(1.0),
        job_shock: sh.job_shock,
        failed: bits(&sh.failed_programs, "shocks.failed_programs")?,
    };
    // The engine's own stepped year, budget step included, for a county of this one
    // household in one village.
    let terrain = vec![Village {
        dry: ch.dry_village,
    }];
    let mut sim = Simulation::from_population(Cow::Borrowed(&s), 0, terrain, vec![h])
        .expect("one household in one village, as the scenario says");
    let given = Given {
        county,
        villages: vec![village],
        draws: vec![d],
    };
    let r = sim
        .step_given_recorded(&given, &Silent)
        .expect("a village year and draws for the one household")
        .pop()
        .expect("the case's year is recorded");
    let values = values(&r, &sim.years()[0], &sim.households()[0]);

    let mut failures = Vec::new();
    for (key, want) in &case.expected {
        let want = match want {
            toml::Value::Float(x) => *x,
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Boolean(b) => f64::from(u8::from(*b)),
            other => {
                failures.push((
                    format!("{key} (expected {other}: give a number or true/false)"),
                    f64::NAN,
                    None,
                ));
                continue;
            }
        };
        match values.get(key) {
            Some(got) if (got - want).abs() <= case.tolerance => {}
            got => failures.push((key.clone(), want, got.copied())),
        }
    }
    Ok(Outcome {
        description: case.description.clone(),
        failures,
        values,
    })
}

/// The values a case can check: the year's record, the household's state after the
/// year, and the cost metrics of the year.
pub fn values(r: &YearRecord, tally: &YearTally, h: &Household) -> BTreeMap<String, f64> {
    let b = |x: bool| f64::from(u8::from(x));
    let mut v: BTreeMap<String, f64> = [
        ("ill", b(r.ill)),
        ("illness_cost", r.illness_cost),
        ("labour_lost", b(r.labour_lost)),
        ("medical_bill", r.medical_bill),
        ("cover.basic", r.cover.basic),
        ("cover.serious", r.cover.serious),
        ("cover.assistance", r.cover.assistance),
        ("out_of_pocket", r.cover.out_of_pocket),
        ("farm_loss_share", r.farm_loss_share),
        ("disaster_loss", r.disaster_loss),
        ("farm", r.farm),
        ("wage", r.wage),
        ("working", f64::from(r.working)),
        ("employed", f64::from(r.employed)),
        ("assets", r.assets),
        ("industry", r.industry),
        ("dibao", r.dibao),
        ("on_dibao", b(r.on_dibao)),
        ("pension", r.pension),
        ("other_transfers", r.other_transfers),
        ("agri.indemnity", r.agri.indemnity),
        ("agri.farmer_premium", r.agri.farmer_premium),
        ("agri.subsidy", r.agri.subsidy),
        ("gross", r.gross),
        ("y_pre", r.y_pre),
        ("at_risk", b(r.at_risk)),
        ("detected", b(r.detected)),
        ("refused", b(r.refused)),
        ("package.topup", r.package.topup),
        ("package.conditional", r.package.conditional),
        ("package.job", r.package.job),
        ("package.medical", r.package.medical),
        ("served", b(r.served)),
        ("package_share", r.package_share),
        ("verified_poor", b(r.verified_poor)),
        ("registered_return", b(r.registered_return)),
        ("verified_new_poor", b(r.verified_new_poor)),
        ("rigid", r.rigid),
        ("from_savings", r.from_savings),
        ("borrowed", r.borrowed),
        ("y", r.y),
        ("poor", b(r.poor)),
        ("returned", b(r.returned)),
        ("new_poor", b(r.new_poor)),
        ("exited", b(r.exited)),
        ("rewarded", b(r.rewarded)),
        ("trained", b(r.trained)),
        ("monitored_after", b(h.monitored())),
        ("motivation_after", h.m.get()),
        ("debt_after", f64::from(h.debt)),
        ("savings_after", f64::from(h.savings)),
        ("programs_after", f64::from(h.programs.count_ones())),
    ]
    .into_iter()
    .map(|(k, x)| (k.to_string(), x))
    .collect();
    // The year's costs, which rule cases check.
    for (name, x) in tally.metrics() {
        if crate::metrics::registry::unit(&name) == crate::metrics::Unit::Cny {
            v.insert(name, x);
        }
    }
    v
}
