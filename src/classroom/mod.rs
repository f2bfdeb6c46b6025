//! The classroom: a village a teacher steps through a year at a time, on the real
//! engine ([`crate::runner::Simulation`]), with the same households under the starting
//! scenario beside it (common random numbers).
//!
//! This module is the classroom's logic, free of HTTP: a [`Session`] is set up from a
//! [`Setup`] (households, seed, the controls' values, one-off events), stepped, changed
//! between years, and asked for a household's story or for the scenario that
//! reproduces the class's run. Every change goes through [`Source`], so a bad value
//! from a hand-written request is refused with the scenario's own message. The
//! `povsim classroom` command serves it (`src/cli/classroom.rs`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::metrics::YearTally;
use crate::model::{YearRecord, hazard_names};
use crate::population::Household;
use crate::runner::{Silent, Simulation};
use crate::scenario::{AddedEvent, Scenario, ScenarioError, Source};
use crate::trace;

pub mod game;

/// The most households a classroom simulates.
pub const MAX_HOUSEHOLDS: u64 = 5_000;
/// The fewest.
pub const MIN_HOUSEHOLDS: u64 = 50;
/// Households when the page does not say.
pub const DEFAULT_HOUSEHOLDS: u64 = 1_000;

/// Villages of a classroom of `households`: about 50 households each, so that a
/// village is a group of dots a class can see (a county's 136 villages would leave a
/// few households in each).
pub fn villages(households: u64) -> u64 {
    (households / 50).clamp(4, 50)
}

/// Where a control's value goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    /// One parameter.
    Key(&'static str),
    /// A multiple of the baseline value of every industry program's coverage of
    /// registered households.
    IndustryCoverage,
}

/// One control on the page: a slider or a switch.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// Its id in requests.
    pub id: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Its group: a countermeasure or a shock.
    pub group: &'static str,
    /// The unit of its value.
    pub unit: &'static str,
    /// A sentence on what it does.
    pub help: &'static str,
    /// `slider` or `switch`.
    pub kind: &'static str,
    /// Bounds and step of a slider.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// Step.
    pub step: f64,
    /// The starting scenario's value (1 or 0 for a switch).
    pub baseline: f64,
    #[serde(skip)]
    target: Target,
}

type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [f64; 3],
    Target,
);

const CONTROLS: [Spec; 14] = [
    (
        "monitoring",
        "Monitoring on",
        "monitoring",
        "on/off",
        "switch",
        "Dynamic monitoring finds households at risk and gives them a support package.",
        [0.0, 1.0, 1.0],
        Target::Key("policy.monitoring.enabled"),
    ),
    (
        "detection_rate",
        "Detection rate",
        "monitoring",
        "share",
        "slider",
        "Share of households at risk that cadres, self-reports and data warnings find in a year.",
        [0.0, 1.0, 0.01],
        Target::Key("policy.monitoring.detection_rate"),
    ),
    (
        "response_lag",
        "Response lag",
        "monitoring",
        "share of a year",
        "slider",
        "How late in the year support arrives once a household is found.",
        [0.0, 1.0, 0.01],
        Target::Key("policy.monitoring.response_lag"),
    ),
    (
        "budget",
        "Monitoring budget",
        "monitoring",
        "CNY per household of the county a year",
        "slider",
        "Funds for the packages; when the packages cost more, every package is cut in the same share.",
        [0.0, 3000.0, 5.0],
        Target::Key("policy.monitoring.budget_per_household"),
    ),
    (
        "dibao_standard",
        "Dibao standard",
        "social security",
        "CNY per person a year",
        "slider",
        "Minimum living guarantee: dibao households are topped up to this income.",
        [0.0, 10000.0, 10.0],
        Target::Key("policy.social_security.dibao.standard"),
    ),
    (
        "dibao_coverage",
        "Dibao reach",
        "social security",
        "share of eligible households",
        "slider",
        "Share of eligible households that dibao actually reaches.",
        [0.0, 1.0, 0.01],
        Target::Key("policy.social_security.dibao.coverage"),
    ),
    (
        "reimbursement",
        "Medical reimbursement",
        "social security",
        "share of the bill",
        "slider",
        "Share of a hospital bill above the deductible that basic medical insurance pays.",
        [0.0, 1.0, 0.01],
        Target::Key("policy.social_security.medical_insurance.reimbursement"),
    ),
    (
        "industry",
        "Industry programs on",
        "industry",
        "on/off",
        "switch",
        "Goji, sheep, workshops and dividends for registered households.",
        [0.0, 1.0, 1.0],
        Target::Key("policy.industry.enabled"),
    ),
    (
        "industry_coverage",
        "Industry coverage",
        "industry",
        "x the baseline's coverage",
        "slider",
        "Scales every program's share of registered households taking part.",
        [0.0, 2.5, 0.05],
        Target::IndustryCoverage,
    ),
    (
        "risk_sharing",
        "Industry risk sharing",
        "industry",
        "share of a loss",
        "slider",
        "Share of a failed program's income loss that order contracts and insurance cover.",
        [0.0, 1.0, 0.01],
        Target::Key("policy.industry.risk_sharing"),
    ),
    (
        "incentives",
        "Motivation incentives",
        "motivation",
        "share of support paid as a reward for work",
        "slider",
        "Support paid as rewards for work (以奖代补) instead of handouts.",
        [0.0, 1.0, 0.01],
        Target::Key("policy.motivation.conditional_share"),
    ),
    (
        "illness",
        "Serious illness",
        "shocks",
        "chance per household a year",
        "slider",
        "Chance that a household member falls seriously ill in a year.",
        [0.0, 0.3, 0.01],
        Target::Key("shocks.illness.probability"),
    ),
    (
        "drought",
        "Drought in dry villages",
        "shocks",
        "chance per village a year",
        "slider",
        "Chance of a severe drought in a dry mountain village in a year.",
        [0.0, 1.0, 0.01],
        Target::Key("shocks.hazards.drought.probability_dry"),
    ),
    (
        "job_loss",
        "Migrant job collapse",
        "shocks",
        "chance a year",
        "slider",
        "Chance of a county-wide collapse of migrant jobs, as in 2020.",
        [0.0, 1.0, 0.01],
        Target::Key("shocks.job_loss.probability"),
    ),
];

/// Something a classroom request asked for that cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum ClassroomError {
    /// A value is refused by the scenario's rules.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The request itself is wrong.
    #[error("{0}")]
    Request(String),
}

fn request(message: impl Into<String>) -> ClassroomError {
    ClassroomError::Request(message.into())
}

/// The kinds of one-off event a class can set.
pub const ONE_OFF: [(&str, &str); 3] = [
    ("drought", "drought in every dry village"),
    ("job_loss", "migrant jobs collapse across the county"),
    (
        "illness",
        "an epidemic year: serious illness twice as likely",
    ),
];

/// A one-off event: `kind` (see [`ONE_OFF`]) in `year`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OneOff {
    /// Calendar year.
    pub year: i32,
    /// Kind.
    pub kind: String,
}

/// What `Setup` asks for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// Households (at most [`MAX_HOUSEHOLDS`]).
    pub households: Option<u64>,
    /// Seed (the scenario's by default).
    pub seed: Option<u64>,
    /// Control id to value (a switch: 0 or 1).
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    /// One-off events.
    #[serde(default)]
    pub events: Vec<OneOff>,
    /// Also run the starting scenario on the same households.
    #[serde(default)]
    pub compare: bool,
}

/// A household's status at the end of a year, as the village view colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Never registered and never below the line in the class's run.
    NeverPoor,
    /// Lifted out of poverty (on the register) and above the line.
    Lifted,
    /// Under monitoring.
    Monitored,
    /// A lifted household below the line: returned to poverty.
    Returned,
    /// A household never registered, below the line.
    Poor,
    /// A household never registered, below the line earlier in the run, above it now.
    Recovered,
}

/// What the counterfactual says of a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Returned under the starting scenario, never under this policy.
    Saved,
    /// Returned under both.
    Failed,
    /// Returned under this policy, never under the starting scenario.
    Harmed,
}

/// One year's figures for the charts.
#[derive(Debug, Clone, Serialize)]
pub struct YearFigures {
    /// Calendar year.
    pub year: i32,
    /// Named yearly metrics (those of `yearly.csv`).
    pub metrics: BTreeMap<String, f64>,
}

/// One arm of a session: a stepped replication and every household's story so far.
struct Arm {
    sim: Simulation<'static>,
    stories: Vec<Vec<trace::Year>>,
    figures: Vec<YearFigures>,
    ever_poor: Vec<bool>,
    ever_returned: Vec<bool>,
    last: Vec<YearRecord>,
}

impl Arm {
    fn new(s: Scenario) -> Arm {
        let n = s.params.simulation.households as usize;
        Arm {
            sim: Simulation::new(Cow::Owned(s), 0),
            stories: vec![Vec::new(); n],
            figures: Vec::new(),
            ever_poor: vec![false; n],
            ever_returned: vec![false; n],
            last: Vec::new(),
        }
    }

    /// Through the burn-in to the first recorded year.
    fn burn_in(&mut self) {
        while self.sim.next_year().is_some_and(|t| t < 0) {
            self.sim.step(&Silent, None);
        }
    }

    fn step(&mut self) -> bool {
        let Some(t) = self.sim.next_year() else {
            return false;
        };
        let records = self.sim.step_recorded(&Silent);
        for (r, h) in records.iter().zip(self.sim.households()) {
            let i = r.id as usize;
            self.ever_poor[i] |= r.poor;
            self.ever_returned[i] |= r.returned;
            self.stories[i].push(trace::Year {
                record: r.clone(),
                household: h.clone(),
            });
        }
        let tally: &YearTally = self.sim.years().last().expect("a recorded year");
        self.figures.push(YearFigures {
            year: self.sim.scenario().year(t as usize),
            metrics: tally.metrics().into_iter().collect(),
        });
        self.last = records;
        true
    }

    fn status(&self, i: usize, h: &Household) -> Status {
        let poor = self.last.get(i).is_some_and(|r| r.poor);
        match (h.monitored(), h.registered(), poor) {
            (true, ..) => Status::Monitored,
            (false, true, true) => Status::Returned,
            (false, false, true) => Status::Poor,
            (false, true, false) => Status::Lifted,
            (false, false, false) if self.ever_poor[i] => Status::Recovered,
            _ => Status::NeverPoor,
        }
    }
}

/// The village view after a year.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// The last simulated calendar year (`None` before the first).
    pub year: Option<i32>,
    /// The next year to simulate, if any is left.
    pub next_year: Option<i32>,
    /// The horizon.
    pub first_year: i32,
    /// Last year of the horizon.
    pub last_year: i32,
    /// Each village: dry mountain or irrigated plain, and the hazards that hit it in
    /// the last year.
    pub villages: Vec<VillageView>,
    /// Each household's village and status, by id.
    pub households: Vec<(u16, Status)>,
    /// The counterfactual's marks, by id (with `compare`).
    pub marks: Option<Vec<Option<Mark>>>,
    /// Each year's figures so far, this policy's.
    pub figures: Vec<YearFigures>,
    /// The same under the starting scenario (with `compare`).
    pub baseline_figures: Option<Vec<YearFigures>>,
}

/// A village in the view.
#[derive(Debug, Clone, Serialize)]
pub struct VillageView {
    /// Dry mountain terrain.
    pub dry: bool,
    /// Hazards that hit some of its households last year.
    pub hazards: Vec<String>,
}

/// A household's story for the page: the narrative `povsim trace` prints, and its
/// years as rows.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    /// Household id.
    pub id: u64,
    /// `povsim trace`'s text for this household so far.
    pub text: String,
    /// Per year: income by source, shocks, support and status.
    pub years: Vec<StoryYear>,
    /// The same household under the starting scenario (with `compare`).
    pub baseline: Option<Box<Story>>,
}

/// One year of a story, for the page's table.
#[derive(Debug, Clone, Serialize)]
pub struct StoryYear {
    /// Calendar year.
    pub year: i32,
    /// Per-capita net income.
    pub income: f64,
    /// The poverty line.
    pub line: f64,
    /// Income by source (household totals, CNY).
    pub sources: BTreeMap<&'static str, f64>,
    /// What happened.
    pub events: Vec<String>,
    /// Support received (CNY).
    pub support: f64,
    /// Below the line.
    pub poor: bool,
    /// Returned to poverty this year.
    pub returned: bool,
    /// Under monitoring at the year's end.
    pub monitored: bool,
}

/// A classroom session: the policy the class set, and with `compare` the starting
/// scenario, on the same households.
pub struct Session {
    start: Source,
    source: Source,
    policy: Arm,
    baseline: Option<Arm>,
    values: BTreeMap<String, f64>,
}

/// The controls, with the starting scenario's values.
pub fn controls(start: &Scenario) -> Vec<Control> {
    CONTROLS
        .iter()
        .map(
            |&(id, label, group, unit, kind, help, [min, max, step], target)| {
                let baseline = match target {
                    Target::Key(k) => start
                        .number(k)
                        .or_else(|| start.boolean(k).map(|b| f64::from(u8::from(b))))
                        .unwrap_or(0.0),
                    Target::IndustryCoverage => 1.0,
                };
                Control {
                    id,
                    label,
                    group,
                    unit,
                    help,
                    kind,
                    min,
                    max,
                    step,
                    baseline,
                    target,
                }
            },
        )
        .collect()
}

/// The `KEY=VALUE` overrides of control `id` set to `value`, refusing unknown ids and
/// values outside the control's range.
fn overrides(start: &Scenario, id: &str, value: f64) -> Result<Vec<String>, ClassroomError> {
    let all = controls(start);
    let Some(c) = all.iter().find(|c| c.id == id) else {
        let ids: Vec<&str> = all.iter().map(|c| c.id).collect();
        return Err(request(format!(
            "unknown control `{id}`; the controls are {}",
            ids.join(", ")
        )));
    };
    if !value.is_finite() || value < c.min || value > c.max {
        return Err(request(format!(
            "control `{id}` = {value}: must be from {} to {} ({})",
            c.min, c.max, c.unit
        )));
    }
    Ok(match c.target {
        Target::Key(k) if c.kind == "switch" => vec![format!("{k}={}", value >= 0.5)],
        Target::Key(k) => vec![format!("{k}={value}")],
        Target::IndustryCoverage => start
            .keys()
            .filter(|k| {
                k.starts_with("policy.industry.programs.") && k.ends_with(".coverage_registered")
            })
            .map(|k| {
                let base = start.number(k).unwrap_or(0.0);
                format!("{k}={}", (base * value).min(1.0))
            })
            .collect(),
    })
}

fn one_off(start: &Scenario, e: &OneOff) -> Result<AddedEvent, ClassroomError> {
    let Some((_, description)) = ONE_OFF.iter().find(|(k, _)| *k == e.kind) else {
        let kinds: Vec<&str> = ONE_OFF.iter().map(|(k, _)| *k).collect();
        return Err(request(format!(
            "unknown event `{}`; the events are {}",
            e.kind,
            kinds.join(", ")
        )));
    };
    let set = match e.kind.as_str() {
        "drought" => vec![
            "shocks.hazards.drought.enabled=true".into(),
            "shocks.hazards.drought.probability_dry=1.0".into(),
        ],
        "job_loss" => vec![
            "shocks.job_loss.enabled=true".into(),
            "shocks.job_loss.probability=1.0".into(),
        ],
        _ => {
            let p = start.number("shocks.illness.probability").unwrap_or(0.1);
            vec![format!("shocks.illness.probability={}", (2.0 * p).min(1.0))]
        }
    };
    Ok(AddedEvent {
        year: e.year,
        duration: Some(1),
        description: format!("classroom: {description} in {}", e.year),
        set,
        origin: format!("the classroom's event `{}` in {}", e.kind, e.year),
    })
}

impl Session {
    /// The scenario a classroom starts from: `path`, or the built-in baseline.
    pub fn start(path: Option<PathBuf>) -> Result<Scenario, ClassroomError> {
        Ok(Source::new(path).load()?)
    }

    /// Set up a session on the scenario at `path` (the built-in baseline if `None`),
    /// and simulate its burn-in.
    pub fn setup(path: Option<PathBuf>, setup: &Setup) -> Result<Session, ClassroomError> {
        let households = setup.households.unwrap_or(DEFAULT_HOUSEHOLDS);
        if !(MIN_HOUSEHOLDS..=MAX_HOUSEHOLDS).contains(&households) {
            return Err(request(format!(
                "households = {households}: the classroom simulates {MIN_HOUSEHOLDS} to {MAX_HOUSEHOLDS} households; for more, run `povsim run --households {households}`"
            )));
        }
        let mut start = Source::new(path)
            .flag(
                "simulation.households",
                households,
                "the classroom's households",
            )
            .flag("simulation.replications", 1, "the classroom")
            .flag(
                "simulation.villages",
                villages(households),
                "the classroom's villages",
            );
        if let Some(seed) = setup.seed {
            start = start.flag("simulation.seed", seed, "the classroom's seed");
        }
        let start_scenario = start.load()?;
        let mut source = start.clone();
        for (id, value) in &setup.values {
            for arg in overrides(&start_scenario, id, *value)? {
                source = source.set_from(&arg, &format!("the classroom's control `{id}`"))?;
            }
        }
        for e in &setup.events {
            source = source.event(one_off(&start_scenario, e)?);
        }
        let policy = source.load()?;
        let mut session = Session {
            baseline: setup.compare.then(|| Arm::new(start_scenario)),
            policy: Arm::new(policy),
            start,
            source,
            values: setup.values.clone(),
        };
        session.policy.burn_in();
        if let Some(b) = &mut session.baseline {
            b.burn_in();
        }
        Ok(session)
    }

    /// The policy's scenario as it stands.
    pub fn scenario(&self) -> &Scenario {
        self.policy.sim.scenario()
    }

    /// Simulate the next year of both arms. Returns whether a year was left.
    pub fn step(&mut self) -> bool {
        let stepped = self.policy.step();
        if let Some(b) = &mut self.baseline {
            b.step();
        }
        stepped
    }

    /// Change controls from the next year on, recorded as an event of that year so
    /// that the saved scenario reproduces the run.
    pub fn change(&mut self, values: &BTreeMap<String, f64>) -> Result<(), ClassroomError> {
        let Some(t) = self.policy.sim.next_year() else {
            return Err(request("the run is over: Reset to start again"));
        };
        let start = self.start.load()?;
        let mut set = Vec::new();
        for (id, value) in values {
            set.extend(overrides(&start, id, *value)?);
        }
        if set.is_empty() {
            return Ok(());
        }
        let year = self.scenario().year(t.max(0) as usize);
        let source = self.source.clone().event(AddedEvent {
            year,
            duration: None,
            description: format!("classroom: controls changed from {year}"),
            set,
            origin: format!("the classroom's change from {year}"),
        });
        let changed = source.load()?;
        self.policy
            .sim
            .change_from_next_year(&changed)
            .map_err(request)?;
        self.source = source;
        self.values.extend(values.clone());
        Ok(())
    }

    /// The village view after the last year.
    pub fn view(&self) -> View {
        let s = self.scenario();
        let sim = &self.policy.sim;
        let mut villages: Vec<VillageView> = sim
            .villages()
            .iter()
            .map(|v| VillageView {
                dry: v.dry,
                hazards: Vec::new(),
            })
            .collect();
        for (v, year) in villages.iter_mut().zip(sim.village_years()) {
            v.hazards = s
                .params
                .shocks
                .hazards
                .keys()
                .zip(year.loss)
                .filter(|(_, loss)| *loss > 0.0)
                .map(|(n, _)| n.clone())
                .collect();
        }
        let households = sim
            .households()
            .iter()
            .enumerate()
            .map(|(i, h)| (h.village, self.policy.status(i, h)))
            .collect();
        let marks = self.baseline.as_ref().map(|b| {
            (0..self.policy.ever_returned.len())
                .map(
                    |i| match (b.ever_returned[i], self.policy.ever_returned[i]) {
                        (true, false) => Some(Mark::Saved),
                        (true, true) => Some(Mark::Failed),
                        (false, true) => Some(Mark::Harmed),
                        (false, false) => None,
                    },
                )
                .collect()
        });
        let sim_years = s.params.simulation.years as i32;
        View {
            year: self.policy.figures.last().map(|f| f.year),
            next_year: sim.next_year().map(|t| s.year(t.max(0) as usize)),
            first_year: s.params.simulation.start_year,
            last_year: s.params.simulation.start_year + sim_years - 1,
            villages,
            households,
            marks,
            figures: self.policy.figures.clone(),
            baseline_figures: self.baseline.as_ref().map(|b| b.figures.clone()),
        }
    }

    /// Household `id`'s story so far, under this policy and (with `compare`) the
    /// starting scenario.
    pub fn story(&self, id: u64) -> Result<Story, ClassroomError> {
        let n = self.policy.stories.len() as u64;
        if id >= n {
            return Err(request(format!(
                "household {id}: the village has households 0 to {}",
                n - 1
            )));
        }
        let mut story = story_of(self.scenario(), &self.policy, id);
        if let Some(b) = &self.baseline {
            story.baseline = Some(Box::new(story_of(b.sim.scenario(), b, id)));
        }
        Ok(story)
    }

    /// The scenario that reproduces the class's run with `povsim run` (and its stories
    /// with `povsim trace`): resolved, with the class's changes as events.
    pub fn scenario_toml(&self) -> Result<String, ClassroomError> {
        let mut s = self.source.load()?;
        s.name = format!("classroom-{}", s.name);
        s.description = "A classroom experiment (povsim classroom)".into();
        s.to_toml().map_err(|e| request(e.to_string()))
    }

    /// The controls' values as the class set them (ids to values).
    pub fn values(&self) -> &BTreeMap<String, f64> {
        &self.values
    }
}

fn story_of(s: &Scenario, arm: &Arm, id: u64) -> Story {
    let years = &arm.stories[id as usize];
    Story {
        id,
        text: trace::narrative(s, id, years),
        years: years
            .iter()
            .map(|y| {
                let r = &y.record;
                let mut events = Vec::new();
                for name in hazard_names(&s.params, r.hazards) {
                    events.push(format!(
                        "{name}: farm output -{:.0}%",
                        r.farm_loss_share * 100.0
                    ));
                }
                if r.ill {
                    events.push(format!(
                        "serious illness: {:.0} CNY left to pay",
                        r.cover.out_of_pocket
                    ));
                }
                if r.job_lost {
                    events.push("a job was lost".into());
                }
                if r.detected {
                    events.push(if r.served {
                        "monitored and served".into()
                    } else {
                        "monitored".into()
                    });
                }
                if r.registered_return {
                    events.push("registered as returned to poverty".into());
                }
                StoryYear {
                    year: s.year(r.t.max(0) as usize),
                    income: r.y,
                    line: r.poverty_line,
                    sources: BTreeMap::from([
                        ("farm", r.farm),
                        ("wages", r.wage),
                        ("assets", r.assets),
                        ("industry", r.industry),
                        ("dibao", r.dibao),
                        ("pension", r.pension),
                        ("other transfers", r.other_transfers),
                    ]),
                    events,
                    support: r.package.cost() * r.package_share + r.dibao,
                    poor: r.poor,
                    returned: r.returned,
                    monitored: y.household.monitored(),
                }
            })
            .collect(),
        baseline: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(json: &str) -> Result<Session, ClassroomError> {
        let s: Setup = serde_json::from_str(json).unwrap();
        Session::setup(None, &s)
    }

    #[test]
    fn a_session_steps_the_engine_and_its_stories_are_trace_s() {
        let mut session =
            setup(r#"{"households": 400, "compare": true, "values": {"detection_rate": 0.95}}"#)
                .unwrap();
        let v = session.view();
        assert_eq!((v.year, v.next_year), (None, Some(2020)));
        let mut years = 0;
        while session.step() {
            years += 1;
        }
        assert_eq!(years, 10);
        let v = session.view();
        assert_eq!(v.households.len(), 400);
        assert_eq!(v.figures.len(), 10);
        assert!(v.figures[0].metrics.contains_key("return_rate"));
        let marks = v.marks.unwrap();
        assert!(
            marks.iter().any(|m| m.is_some()),
            "some household returned under one arm"
        );
        // The story is trace's for the saved scenario.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("class.toml");
        std::fs::write(&path, session.scenario_toml().unwrap()).unwrap();
        let saved = Source::new(Some(path)).load().unwrap();
        for id in [0u64, 17, 399] {
            let story = session.story(id).unwrap();
            let traced = trace::narrative(&saved, id, &trace::trace(&saved, 0, id));
            let ours = story
                .text
                .replacen(&session.scenario().name, &saved.name, 1);
            assert_eq!(ours, traced, "household {id}");
            assert!(story.baseline.is_some());
        }
    }

    #[test]
    fn a_change_between_years_and_a_one_off_event_are_in_the_saved_scenario() {
        let mut session =
            setup(r#"{"households": 300, "events": [{"year": 2022, "kind": "drought"}]}"#).unwrap();
        session.step();
        session.step();
        let dry_hit = |s: &Session| {
            let v = s.view();
            let dry: Vec<_> = v.villages.iter().filter(|v| v.dry).collect();
            let hit = dry
                .iter()
                .filter(|v| v.hazards.iter().any(|h| h == "drought"))
                .count();
            (hit, dry.len())
        };
        let (hit, dry) = dry_hit(&session);
        assert!(
            dry > 0 && hit < dry,
            "2021: drought in {hit} of {dry} dry villages"
        );
        let mut change = BTreeMap::new();
        change.insert("budget".to_string(), 2500.0);
        session.change(&change).unwrap();
        session.step();
        let (hit, dry) = dry_hit(&session);
        assert_eq!(hit, dry, "2022: every dry village");
        while session.step() {}
        let text = session.scenario_toml().unwrap();
        assert!(text.contains("year = 2022\nduration = 1"), "{text}");
        assert!(
            text.contains("policy.monitoring.budget_per_household = 2500"),
            "{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("class.toml");
        std::fs::write(&path, &text).unwrap();
        let saved = Source::new(Some(path)).load().unwrap();
        let story = trace::trace(&saved, 0, 3);
        assert_eq!(
            session.story(3).unwrap().text,
            trace::narrative(&saved, 3, &story).replacen(&saved.name, &session.scenario().name, 1)
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_clear_message() {
        for (json, want) in [
            (r#"{"households": 6000}"#, "50 to 5000 households"),
            (
                r#"{"values": {"detection_rate": 1.5}}"#,
                "must be from 0 to 1",
            ),
            (
                r#"{"values": {"detection": 0.5}}"#,
                "unknown control `detection`",
            ),
            (
                r#"{"events": [{"year": 2050, "kind": "drought"}]}"#,
                "event year",
            ),
            (
                r#"{"events": [{"year": 2022, "kind": "flood"}]}"#,
                "unknown event `flood`",
            ),
        ] {
            let e = setup(json)
                .err()
                .unwrap_or_else(|| panic!("{json} accepted"))
                .to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
    }
}
