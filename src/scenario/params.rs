//! The typed, fully resolved parameters of one simulated year.
//!
//! Every field is documented here and given a default, with its source, in the
//! embedded `scenarios/baseline.toml`. A scenario file only sets what it changes; the
//! loader merges it over the baseline, so these structs never carry serde defaults and
//! a field missing from the baseline is a bug caught by a unit test.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::units::{Money, Probability};

/// All parameters in force in one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Sizes, seed and horizon.
    pub simulation: Simulation,
    /// The poverty line `z_t`.
    pub poverty_line: PovertyLine,
    /// The synthetic initial population.
    pub population: Population,
    /// Earned income: farm, wages, assets.
    pub income: Income,
    /// Ageing and labour changes.
    pub demography: Demography,
    /// Savings buffer and medical debt.
    pub finance: Finance,
    /// Illness, disasters, job losses, prices, income shocks.
    pub shocks: Shocks,
    /// The four countermeasures and the safety net.
    pub policy: Policy,
    /// Households' own behaviour: dependency and neighbour effects on motivation.
    pub behaviour: Behaviour,
}

/// `[simulation]`: what to simulate and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Households simulated per replication.
    pub households: u64,
    /// Years simulated, from `start_year`.
    pub years: u32,
    /// Independent replications (each with its own synthetic population).
    pub replications: u32,
    /// Master seed of every random stream.
    pub seed: u64,
    /// First simulated calendar year.
    pub start_year: i32,
    /// Administrative villages in the county.
    pub villages: u32,
    /// Years simulated before `start_year` and not recorded, so that income, dibao,
    /// debt and monitoring start from their steady state rather than from the draw.
    pub burn_in_years: u32,
}

/// `[poverty_line]`: `z_t = base * (1 + annual_growth)^(t - start_year)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PovertyLine {
    /// Per-capita poverty line in the start year (CNY).
    pub base: f64,
    /// Annual growth of the line (rural CPI).
    pub annual_growth: f64,
    /// The income on which the panel figures (spells, exits, re-entries, the transient
    /// share) are measured.
    pub panel_income: PanelIncome,
    /// Years between the panel's observations: 1 for an annual panel, 2 for a biennial
    /// survey such as CFPS. Spells, exits and re-entries are counted only in observed
    /// years (every `panel_interval`-th year from the first recorded year); the
    /// transient share always uses every year.
    pub panel_interval: u32,
}

/// An enum a scenario names by a string. The names come from serde, so the list an
/// error message gives is the list the loader accepts.
pub trait Choice: Copy + Serialize + 'static {
    /// Every variant, in order.
    const ALL: &'static [Self];

    /// The name a scenario file gives this variant (serde's).
    fn file_name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => name,
            _ => String::new(),
        }
    }

    /// Every name, in order.
    fn names() -> Vec<String> {
        Self::ALL.iter().map(|v| v.file_name()).collect()
    }
}

/// The income measure of the panel figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelIncome {
    /// The study's net income `y`, out-of-pocket medical spending deducted (MODEL.md 2.7).
    Net,
    /// Net income before out-of-pocket medical spending and medical debt service, as
    /// household surveys such as CFPS measure income poverty.
    BeforeMedical,
}

impl Choice for PanelIncome {
    const ALL: &'static [Self] = &[PanelIncome::Net, PanelIncome::BeforeMedical];
}

/// `[population]`: how the initial households are drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// A households CSV to load instead of drawing households; empty for synthetic.
    pub source: String,
    /// Share of households registered and lifted out of poverty before the start.
    pub lifted_share: Probability,
    /// Share of never-registered marginal households (income between `z` and `tau`).
    pub marginal_share: Probability,
    /// Share of villages on dry mountain terrain (the rest irrigated plain).
    pub dry_village_share: Probability,
    /// Mean household size (persons).
    pub household_size_mean: f64,
    /// Share of members who are working-age, able-bodied adults.
    pub labour_share: Probability,
    /// Mean age of the household head.
    pub head_age_mean: f64,
    /// Standard deviation of the head's age.
    pub head_age_sd: f64,
    /// Probability that a household of two or more with a head of pension age has a
    /// second elderly member.
    pub elderly_spouse_share: Probability,
    /// Probability that a household of three or more with a younger head has an
    /// elderly member (a parent of the head).
    pub elderly_parent_share: Probability,
    /// Mean years of schooling of the working members.
    pub schooling_mean: f64,
    /// Most years of schooling (or skill, after training) a household can have.
    pub schooling_max: f64,
    /// Standard deviation of schooling.
    pub schooling_sd: f64,
    /// Schooling deficit of registered households (years).
    pub registered_schooling_gap: f64,
    /// Probability that a registered household has a chronically ill member.
    pub chronic_share_registered: Probability,
    /// Probability that another household has a chronically ill member.
    pub chronic_share_other: Probability,
    /// Probability that a registered household has a disabled member.
    pub disability_share_registered: Probability,
    /// Probability that another household has a disabled member.
    pub disability_share_other: Probability,
    /// Mean cultivated land per household (mu).
    pub land_mean: f64,
    /// Log-normal sigma of land.
    pub land_sigma: f64,
    /// Irrigated share of land in irrigated villages.
    pub irrigated_share_plain: Probability,
    /// Irrigated share of land in dry mountain villages.
    pub irrigated_share_dry: Probability,
    /// Mean productive assets, livestock and equipment (CNY).
    pub assets_mean: Money,
    /// Log-normal sigma of assets.
    pub assets_sigma: f64,
    /// Mean initial savings (CNY).
    pub savings_mean: Money,
    /// Standard deviation of the permanent log-income effect.
    pub permanent_sd: f64,
    /// Log-income shift of lifted households relative to ordinary ones.
    pub lifted_income_shift: f64,
    /// Log-income shift of marginal households relative to ordinary ones.
    pub marginal_income_shift: f64,
    /// Mean motivation of registered households.
    pub motivation_mean_registered: Probability,
    /// Mean motivation of other households.
    pub motivation_mean_other: Probability,
    /// Beta concentration (alpha + beta) of motivation.
    pub motivation_concentration: f64,
    /// The motivation at which `income.employment_base` and a program's income apply;
    /// more motivation raises them, less lowers them.
    pub motivation_reference: Probability,
    /// Main causes of poverty among registered households (shares summing to 1).
    pub causes: PovertyCauses,
    /// How the recorded main cause shapes a registered household when it is drawn.
    pub cause_effects: CauseEffects,
}

/// `[population.cause_effects]`: what each recorded main cause of poverty says about a
/// registered household, applied once when the household is drawn. A synthetic
/// household whose register entry says "illness" has a chronically ill member, one that
/// says "lack of funds" fewer assets, and so on. The schooling cause has no lasting
/// effect: see `docs/model.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseEffects {
    /// Illness: at least this many chronically ill members.
    pub illness_chronic_members: u32,
    /// Lack of funds: productive assets are this share of the draw.
    pub funds_assets_factor: Probability,
    /// Lack of skills: years of schooling fewer than the draw.
    pub skills_schooling_gap: f64,
    /// Lack of labour: labour units fewer than the draw.
    pub labour_units_lost: u32,
    /// Disability: at least this many disabled members, and as many labour units fewer
    /// (the recorded disability keeps them from work).
    pub disability_members: u32,
    /// Disaster: irrigated share of land is this share of the village's.
    pub disaster_irrigated_factor: Probability,
    /// Water, land or transport: irrigated share of land is this share of the
    /// village's.
    pub infrastructure_irrigated_factor: Probability,
    /// Own lack of motivation: motivation is this share of the draw.
    pub motivation_factor: Probability,
}

/// `[population.causes]`: the main cause of poverty recorded for a registered household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PovertyCauses {
    /// Illness.
    pub illness: Probability,
    /// Lack of funds.
    pub funds: Probability,
    /// Lack of skills.
    pub skills: Probability,
    /// Lack of labour.
    pub labour: Probability,
    /// Disability.
    pub disability: Probability,
    /// Schooling costs.
    pub schooling: Probability,
    /// Disaster.
    pub disaster: Probability,
    /// Water, land or transport conditions.
    pub infrastructure: Probability,
    /// Own lack of motivation.
    pub motivation: Probability,
}

impl PovertyCauses {
    /// The shares in a fixed order, with their key names.
    pub fn shares(&self) -> [(&'static str, f64); 9] {
        [
            ("illness", self.illness.get()),
            ("funds", self.funds.get()),
            ("skills", self.skills.get()),
            ("labour", self.labour.get()),
            ("disability", self.disability.get()),
            ("schooling", self.schooling.get()),
            ("disaster", self.disaster.get()),
            ("infrastructure", self.infrastructure.get()),
            ("motivation", self.motivation.get()),
        ]
    }
}

/// `[income]`: earned income before shocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Income {
    /// Nominal growth of wages, farm revenue and transfers per year.
    pub nominal_growth: f64,
    /// Net farm revenue per irrigated mu (CNY, start year).
    pub farm_net_per_mu_irrigated: Money,
    /// Net farm revenue per dry mu (CNY, start year).
    pub farm_net_per_mu_dry: Money,
    /// Mean annual earnings of an employed labour unit (CNY, start year).
    pub wage_mean: Money,
    /// Log-normal sigma of a household's wage draw.
    pub wage_sigma: f64,
    /// Employment probability of a labour unit at mean schooling and at
    /// `population.motivation_reference`.
    pub employment_base: Probability,
    /// Logit effect of one year of schooling on employment.
    pub employment_schooling_effect: f64,
    /// Logit effect of motivation (0 to 1) on employment.
    pub employment_motivation_effect: f64,
    /// Annual probability that a held job ends.
    pub job_separation: Probability,
    /// Annual net return on productive assets.
    pub asset_return: f64,
    /// Other per-capita transfers (land and ecological subsidies), CNY.
    pub other_transfers_per_capita: Money,
}

/// `[demography]`: light demographic change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demography {
    /// Switch.
    pub enabled: bool,
    /// Head's age from which a labour unit may retire each year.
    pub retirement_age: f64,
    /// Annual probability that a labour unit retires past `retirement_age`.
    pub retirement_probability: Probability,
    /// Annual probability that a member enters working age.
    pub labour_entry_probability: Probability,
    /// Head's age at which the next generation takes over.
    pub succession_age: f64,
    /// Age of the new head at succession.
    pub successor_age: f64,
    /// Age from which members receive the basic pension.
    pub elderly_age: f64,
}

/// `[finance]`: the savings buffer and medical debt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Switch; when off every rigid expenditure is paid from the year's income.
    pub enabled: bool,
    /// Share of income above the consumption floor that is saved.
    pub saving_rate: Probability,
    /// Consumption floor as a multiple of the poverty line per person.
    pub consumption_floor_ratio: f64,
    /// Share of gross income beyond which rigid spending is borrowed.
    pub borrowing_threshold: Probability,
    /// Share of outstanding debt repaid each year.
    pub debt_repayment_rate: Probability,
}

/// `[shocks]`: everything that can go wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shocks {
    /// Persistent and transitory income shocks.
    pub income: IncomeShocks,
    /// Serious illness.
    pub illness: Illness,
    /// Village-wide natural hazards by name (`[shocks.hazards.NAME]`; the baseline has
    /// drought, hail, frost and sandstorm). A scenario adds one by giving every field.
    pub hazards: BTreeMap<String, Hazard>,
    /// Idiosyncratic spread of disaster losses within a hit village.
    pub disaster_spread: f64,
    /// County-wide collapse of migrant jobs.
    pub job_loss: JobLoss,
    /// County-wide farm price shock.
    pub price: PriceShock,
}

/// `[shocks.income]`: `u_t = rho u_{t-1} + e_t`, plus a transitory term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeShocks {
    /// Switch.
    pub enabled: bool,
    /// Annual persistence of the log-income component.
    pub rho: f64,
    /// Standard deviation of the persistent innovation `e_t`.
    pub persistent_sd: f64,
    /// Standard deviation of the transitory log-income shock.
    pub transitory_sd: f64,
}

/// `[shocks.illness]`: serious illness and chronic disease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Illness {
    /// Switch.
    pub enabled: bool,
    /// Annual probability of a serious illness for a head aged 50 without chronic illness.
    pub probability: Probability,
    /// Relative rise of the probability per year of the head's age above `age_pivot`.
    pub age_slope: f64,
    /// The head's age above which the probability rises.
    pub age_pivot: f64,
    /// Multiplier of the probability when a member is chronically ill.
    pub chronic_multiplier: f64,
    /// Median cost of a serious illness (CNY).
    pub cost_median: Money,
    /// Log-normal sigma of the cost.
    pub cost_sigma: f64,
    /// Probability that a case takes a labour unit out of work.
    pub labour_loss_probability: Probability,
    /// Years the labour unit stays out of work (this year included).
    pub labour_loss_years: u32,
    /// Probability that a case becomes chronic.
    pub chronic_onset_probability: Probability,
    /// Recurring annual cost per chronically ill member (CNY).
    pub chronic_annual_cost: Money,
}

/// `[shocks.hazards.NAME]`: a village-wide natural hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hazard {
    /// Switch.
    pub enabled: bool,
    /// Annual probability for a dry mountain village.
    pub probability_dry: Probability,
    /// Annual probability for an irrigated village.
    pub probability_irrigated: Probability,
    /// Mean share of farm output lost in a hit dry village.
    pub loss_mean_dry: Probability,
    /// Mean share of farm output lost in a hit irrigated village.
    pub loss_mean_irrigated: Probability,
    /// Beta concentration (alpha + beta) of the village loss share.
    pub loss_concentration: f64,
    /// Share of a hit village's households whose plots are hit.
    pub affected_share: Probability,
    /// Share of livestock and equipment returns lost by a hit household.
    pub livestock_loss: Probability,
}

/// `[shocks.job_loss]`: a year when migrant jobs collapse (as in 2020).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobLoss {
    /// Switch.
    pub enabled: bool,
    /// Annual probability of a county-wide job collapse.
    pub probability: Probability,
    /// In a collapse year, the share of held jobs at work (each of the others is idle
    /// for the year) and the multiplier of an idle unit's chance of finding a job.
    pub employment_multiplier: Probability,
}

/// `[shocks.price]`: a county-wide log-normal farm price shock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceShock {
    /// Switch.
    pub enabled: bool,
    /// Standard deviation of the log price.
    pub sd: f64,
}

/// `[policy]`: the countermeasures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The poverty register's rules: who is put (back) on it, and how a return is
    /// verified.
    pub register: Register,
    /// Dynamic monitoring and support (3.1).
    pub monitoring: Monitoring,
    /// Industrial support (3.2).
    pub industry: Industry,
    /// Social security (3.3).
    pub social_security: SocialSecurity,
    /// Stimulating internal motivation (3.4).
    pub motivation: MotivationPolicy,
}

/// `[policy.register]`: the poverty register (建档立卡) and its year-end review.
///
/// At each year's end the county reviews households' incomes (the register's annual
/// dynamic adjustment, 动态调整). A household whose income after the support it
/// received is below the line is verified as poor, unless it is a monitoring object
/// that monitoring is still given time to rescue: one whose income has been below the
/// line at fewer than `rescue_years` consecutive year-ends. A lifted household so
/// verified is a registered return; a household never registered is verified newly
/// poor, and `newly_poor` says what becomes of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// What a household verified as newly poor becomes.
    pub newly_poor: NewlyPoor,
    /// Consecutive year-ends below the line, after support, before the review verifies
    /// a monitored household as poor (1: at once, as one not monitored).
    pub rescue_years: u32,
    /// The income the review verifies on: `net`, after out-of-pocket medical spending
    /// (the survey measure of `return_rate`), or `before_medical`, income counted
    /// without deducting spending, as the register's net income (家庭人均纯收入) is.
    pub income: PanelIncome,
}

/// What the year-end review does with a never-registered household it verifies as poor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewlyPoor {
    /// The 2013-2020 register: it is registered poor (纳入建档立卡), and counts as a
    /// lifted household once its income is above the line again.
    Register,
    /// Post-2020 monitoring: it becomes a monitoring object in the "sudden severe
    /// difficulty" group (突发严重困难户) with the support package, and is never
    /// registered nor counted as lifted. The review sees a never-registered household
    /// only once monitoring has identified it: identification is the one way in.
    Monitoring,
}

impl Choice for NewlyPoor {
    const ALL: &'static [Self] = &[NewlyPoor::Register, NewlyPoor::Monitoring];
}

/// `[policy.monitoring]`: the dynamic monitoring and support mechanism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Switch.
    pub enabled: bool,
    /// Monitoring threshold `tau` as a multiple of the poverty line.
    pub threshold_ratio: f64,
    /// Out-of-pocket medical cost or disaster loss (CNY, start year) that flags a household.
    pub shock_threshold: Money,
    /// Whether income under `tau` identifies a household only together with a risk of
    /// (re)entering poverty, as the three groups are defined (脱贫不稳定户、边缘易致贫户:
    /// 存在返贫致贫风险): a labour unit or a job lost, a failed program, rigid spending
    /// and disaster loss above `risk_loss_share` of income, income down by
    /// `risk_income_fall`, or income under the poverty line. A monitored household stays at risk while under `tau`.
    /// When false, income under `tau` alone identifies.
    pub identify_on_risk: bool,
    /// Out-of-pocket medical cost plus disaster loss, as a share of the year's gross
    /// income, that counts as a risk (刚性支出较大, 因病因灾).
    pub risk_loss_share: Probability,
    /// Fall of the register's per-capita income from last year, as a share, that
    /// counts as a risk (收入大幅缩减).
    pub risk_income_fall: Probability,
    /// Probability that an at-risk household is detected in the year.
    pub detection_rate: Probability,
    /// Share of the year's loss that support no longer reaches for a newly detected household.
    pub response_lag: Probability,
    /// Data sharing between departments, 0 to 1 (coordination).
    pub data_sharing: Probability,
    /// Share of missed detections that full data sharing recovers.
    pub data_sharing_detection_gain: Probability,
    /// Share of the response lag that full data sharing removes.
    pub data_sharing_lag_cut: Probability,
    /// Targeted top-up, as a share of the gap to `tau`.
    pub topup_share: Probability,
    /// Whether an idle labour unit is offered a public-welfare job.
    pub public_jobs: bool,
    /// Annual wage of a public-welfare job (CNY, start year).
    pub public_job_wage: Money,
    /// Extra medical assistance: share of remaining out-of-pocket cost covered.
    pub medical_assistance_share: Probability,
    /// Industry program a detected household not yet enrolled joins next year ("" for none).
    pub enrol_program: String,
    /// Consecutive year-ends with income above `tau` (and no large rigid spending)
    /// before a household's risk is marked eliminated and it leaves monitoring.
    pub exit_years: u32,
    /// Whether a household's risk is also marked eliminated when it has passed (返贫致贫
    /// 风险自然消失): `exit_years` year-ends without a new risk and with income after
    /// support above the poverty line, though under `tau`.
    pub exit_when_risk_passes: bool,
    /// Whether a household with no labour capacity can leave monitoring; the rules
    /// keep it monitored after its social-security measures are in place.
    pub exit_without_labour: bool,
    /// Government budget for support packages per household of the county (CNY per
    /// year). It sizes the packages: when the detected households' full packages cost
    /// more, every package is paid in the same proportion.
    pub budget_per_household: Money,
    /// Social funds (paired assistance, charity) added to the budget per household.
    pub social_fund_per_household: Money,
    /// The scale rule (监测对象规模): monitoring objects at most this share of the
    /// registered population, in persons; 0 sets no limit. When this year's new
    /// identifications would pass it, the county admits the households in greatest
    /// need first (lowest income after rigid spending, before support) while they
    /// fit, and the rest stay unmonitored.
    pub scale_share: Probability,
}

/// `[policy.industry]`: industry programs and their mechanism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    /// Switch.
    pub enabled: bool,
    /// Share of program failure risk removed by risk-sharing contracts (coordination).
    pub risk_sharing: Probability,
    /// Programs by name.
    pub programs: BTreeMap<String, Program>,
}

/// Who acts and pays (MODEL.md 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// County and higher government.
    Government,
    /// Enterprises, cooperatives and insurers.
    Market,
    /// Paired assistance, charity, village work teams.
    Society,
    /// Households themselves.
    Households,
}

impl Choice for Actor {
    const ALL: &'static [Self] = &Actor::ALL;
}

impl Actor {
    /// How many actors there are.
    pub const COUNT: usize = Actor::Households as usize + 1;

    /// Every actor, in report order.
    pub const ALL: [Actor; Actor::COUNT] = [
        Actor::Government,
        Actor::Market,
        Actor::Society,
        Actor::Households,
    ];

    /// The lowercase name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Actor::Government => "government",
            Actor::Market => "market",
            Actor::Society => "society",
            Actor::Households => "households",
        }
    }

    /// Label for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Actor::Government => "government",
            Actor::Market => "the market",
            Actor::Society => "society",
            Actor::Households => "households",
        }
    }
}

/// `[policy.industry.programs.NAME]`: one industry program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Switch.
    pub enabled: bool,
    /// Who runs and pays for the program.
    pub actor: Actor,
    /// Initial enrolment among registered households.
    pub coverage_registered: Probability,
    /// Initial enrolment among other households.
    pub coverage_other: Probability,
    /// Mean annual income to an enrolled household (CNY, start year).
    pub income_mean: Money,
    /// Log-normal sigma of a household's program income.
    pub income_sigma: f64,
    /// Effect of motivation on program income: multiplier `1 + effect * (m - 0.5)`.
    pub motivation_effect: f64,
    /// Annual cost per enrolled household (CNY).
    pub cost_per_household: Money,
    /// Annual county-wide probability that the program fails.
    pub failure_probability: Probability,
    /// Share of program income kept in a failure year.
    pub failure_income_share: Probability,
    /// Share of enrolled households that leave the program after a failure.
    pub failure_exit_share: Probability,
}

/// `[policy.social_security]`: the safety net.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialSecurity {
    /// Switch for the whole safety net.
    pub enabled: bool,
    /// Basic medical insurance.
    pub medical_insurance: MedicalInsurance,
    /// Serious-illness insurance.
    pub serious_illness: SeriousIllness,
    /// Medical assistance for dibao and monitored households.
    pub medical_assistance: MedicalAssistance,
    /// Minimum living guarantee.
    pub dibao: Dibao,
    /// Basic pension.
    pub pension: Pension,
    /// Agricultural insurance.
    pub agricultural_insurance: AgriculturalInsurance,
}

/// `[policy.social_security.medical_insurance]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicalInsurance {
    /// Switch.
    pub enabled: bool,
    /// Share of households enrolled.
    pub participation: Probability,
    /// Annual deductible (CNY).
    pub deductible: Money,
    /// Share of cost above the deductible reimbursed.
    pub reimbursement: Probability,
    /// Annual cap on reimbursement (CNY).
    pub cap: Money,
}

/// `[policy.social_security.serious_illness]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriousIllness {
    /// Switch.
    pub enabled: bool,
    /// Deductible on cost left after basic insurance (CNY).
    pub deductible: Money,
    /// Share reimbursed above the deductible.
    pub reimbursement: Probability,
    /// Annual cap (CNY); none for priority households.
    pub cap: Money,
    /// Deductible multiplier for dibao and monitored households.
    pub priority_deductible_factor: Probability,
    /// Extra reimbursement share for dibao and monitored households.
    pub priority_bonus: Probability,
}

/// `[policy.social_security.medical_assistance]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicalAssistance {
    /// Switch.
    pub enabled: bool,
    /// Share of remaining out-of-pocket cost paid for dibao households.
    pub reimbursement: Probability,
    /// Annual cap (CNY).
    pub cap: Money,
}

/// How dibao pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DibaoMode {
    /// The gap between the standard and assessed per-capita income.
    Gap,
    /// A fixed amount per person.
    Fixed,
}

impl Choice for DibaoMode {
    const ALL: &'static [Self] = &[DibaoMode::Gap, DibaoMode::Fixed];
}

/// `[policy.social_security.dibao]`: minimum living guarantee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dibao {
    /// Switch.
    pub enabled: bool,
    /// Per-person annual standard (CNY, start year).
    pub standard: Money,
    /// Annual growth of the standard.
    pub standard_growth: f64,
    /// Probability that a newly eligible household is enrolled.
    pub coverage: Probability,
    /// Probability that an ineligible household below `inclusion_band` times the standard is enrolled.
    pub inclusion_error: Probability,
    /// Upper income band, as a multiple of the standard, for inclusion errors.
    pub inclusion_band: f64,
    /// `gap` or `fixed`.
    pub mode: DibaoMode,
    /// Per-person amount in `fixed` mode, and the floor of the gap payment (CNY).
    pub fixed_amount: Money,
    /// Weight of the previous assessment in this year's: the assessed income is
    /// `(1 - s) × last year's income + s × last year's assessment`, so that one bad
    /// year moves it only in part (0: last year's income alone).
    pub assessment_smoothing: f64,
}

/// `[policy.social_security.pension]`: basic pension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pension {
    /// Switch.
    pub enabled: bool,
    /// Monthly pension per elderly member (CNY).
    pub monthly: Money,
}

/// `[policy.social_security.agricultural_insurance]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgriculturalInsurance {
    /// Switch.
    pub enabled: bool,
    /// Share of households insured.
    pub participation: Probability,
    /// Share of the loss above the deductible that is indemnified.
    pub indemnity: Probability,
    /// Loss share below which nothing is paid.
    pub deductible: Probability,
    /// Premium as a share of expected farm output.
    pub premium_rate: Probability,
    /// Share of the premium paid by the farmer (the rest is subsidised).
    pub farmer_premium_share: Probability,
}

/// `[policy.motivation]`: stimulating internal motivation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotivationPolicy {
    /// Switch.
    pub enabled: bool,
    /// Share of the monitoring top-up paid as a reward conditional on work (以奖代补).
    pub conditional_share: Probability,
    /// Reward to a registered or monitored household with a working member (CNY).
    pub incentive_reward: Money,
    /// Motivation gained from a reward.
    pub incentive_motivation_gain: Probability,
    /// Annual share of registered and monitored households with labour trained.
    pub training_rate: Probability,
    /// Cost per trained household (CNY).
    pub training_cost: Money,
    /// Schooling-equivalent years gained by training.
    pub training_skill_gain: f64,
    /// Motivation gained by training.
    pub training_motivation_gain: Probability,
}

/// `[behaviour]`: how motivation evolves on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// Dependency: unconditional support lowers motivation.
    pub dependency: Dependency,
    /// Demonstration effect of neighbours.
    pub neighbours: Neighbours,
}

/// `[behaviour.dependency]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Switch.
    pub enabled: bool,
    /// Motivation lost per year of unconditional support, at full dependency.
    pub rate: Probability,
    /// Years of consecutive support after which the loss is at its full rate.
    pub full_after_years: u32,
}

/// `[behaviour.neighbours]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Neighbours {
    /// Switch.
    pub enabled: bool,
    /// Share of the distance to the village mean motivation closed each year.
    pub pull: Probability,
}
