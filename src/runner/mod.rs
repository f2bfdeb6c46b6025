//! Replications in parallel, with progress reported through an [`Observer`].
//!
//! Households are processed in fixed chunks of [`CHUNK`]; each chunk's tally is filled
//! serially and chunks are merged in index order, so the numbers are the same for any
//! thread count. Replications run in parallel with each other too.

use std::borrow::Cow;
use std::time::Instant;

use rayon::prelude::*;

use crate::metrics::{PanelTally, YearTally};
use crate::model::{self, CountyYear, Draws, VillageYear, YearContext, YearRecord};
use crate::policy;
use crate::population::{self, Household, Village};
use crate::scenario::Scenario;

/// Households per chunk: the unit of parallel work and of ordered summation.
pub const CHUNK: usize = 1024;

/// Receives progress from a run. The library never prints; the CLI turns this into a
/// progress bar.
pub trait Observer: Sync {
    /// A run of `total` household-years starts.
    fn started(&self, _total: u64) {}
    /// `done` more household-years are finished.
    fn advanced(&self, _done: u64) {}
    /// One more point of a study is finished and saved (`done` of `total`).
    fn point_finished(&self, _done: usize, _total: usize) {}
    /// Whether the run should stop (Ctrl-C): checked once a simulated year.
    fn cancelled(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// A year's shocks given instead of drawn: what a policy rule case (`povsim check`)
/// fixes before it steps its one household's year with [`Simulation::step_given`].
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    /// The county's draws.
    pub county: CountyYear,
    /// Each village's disasters, by village.
    pub villages: Vec<VillageYear>,
    /// Each household's draws, by id.
    pub draws: Vec<Draws>,
}

/// One household-year, as seen by an inspector (used by `trace`).
pub type Inspector<'a> = &'a (dyn Fn(u32, &Household, &YearRecord) + Sync);

/// The tallies of one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct Replication {
    /// Replication index.
    pub index: u32,
    /// One tally per recorded year.
    pub years: Vec<YearTally>,
    /// Whole-horizon figures.
    pub panel: PanelTally,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Replications in index order.
    pub replications: Vec<Replication>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// The observer stopped the run: the replications are incomplete.
    pub cancelled: bool,
}

/// Populations of at least this many households run one replication at a time, so
/// that only one population is in memory, and lean: a detected household's year is
/// computed again after the budget step instead of its record being held until then.
/// That halves the memory per household and, at these sizes, where the records would
/// not stay in cache, costs no time (docs/benchmarks.md); smaller populations, whose
/// replications run in parallel, are faster holding the records. The numbers are the
/// same either way.
pub const LARGE_POPULATION: u64 = 50_000;

/// Bytes of memory a household of a population of `households` needs while its
/// replication runs, at most: its state, and, when it is detected, its index in its
/// chunk's list or, below [`LARGE_POPULATION`], its year's record until the budget
/// step. In the bundled baseline about a third of the
/// households are detected in a year; this assumes all are, so that a run that passes
/// the memory check fits.
pub fn bytes_per_household(households: u64) -> u64 {
    let record = if households >= LARGE_POPULATION {
        0
    } else {
        std::mem::size_of::<YearRecord>()
    };
    (std::mem::size_of::<Household>() + record.max(std::mem::size_of::<u32>())) as u64
}

/// Peak memory a run of `s` needs with `threads` workers (bytes).
pub fn memory_estimate(s: &Scenario, threads: usize) -> u64 {
    let sim = &s.params.simulation;
    let in_flight = if sim.households >= LARGE_POPULATION {
        1
    } else {
        u64::from(sim.replications).min(threads as u64 * 2).max(1)
    };
    sim.households * bytes_per_household(sim.households) * in_flight + 64 * 1024 * 1024
}

/// A run that would not fit in the memory available.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "memory check: `simulation.households` = {households}: the run needs about {:.1} GB but {:.1} GB are available; use at most about {fits} households (--households), or fewer threads (--threads 1)",
    *.need as f64 / 1e9,
    *.available as f64 / 1e9
)]
pub struct MemoryError {
    /// Households per replication asked for.
    pub households: u64,
    /// Bytes the run needs.
    pub need: u64,
    /// Bytes available.
    pub available: u64,
    /// Households per replication that would fit.
    pub fits: u64,
}

/// Refuse, before anything is allocated, runs of `scenarios` on `threads` workers that
/// cannot fit in `available` bytes (from [`available_memory`]; `None` checks nothing).
/// A run may use nine tenths of what is available.
pub fn check_memory(
    scenarios: &[&Scenario],
    threads: usize,
    available: Option<u64>,
) -> Result<(), MemoryError> {
    let need: u64 = scenarios
        .iter()
        .map(|s| memory_estimate(s, threads))
        .max()
        .unwrap_or(0);
    let (Some(available), Some(first)) = (available, scenarios.first()) else {
        return Ok(());
    };
    let room = available / 10 * 9;
    if need <= room {
        return Ok(());
    }
    let room = room.saturating_sub(64 << 20);
    // A population that fits lean may be too small to run lean.
    let mut fits = room / bytes_per_household(LARGE_POPULATION);
    if fits < LARGE_POPULATION {
        fits = room / bytes_per_household(0);
    }
    Err(MemoryError {
        households: first.params.simulation.households,
        need,
        available,
        fits,
    })
}

/// `MemAvailable` from /proc/meminfo, where there is one (bytes).
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Run every replication of a scenario.
pub fn run(s: &Scenario, observer: &dyn Observer) -> RunResult {
    let started = Instant::now();
    let total = household_years_per_replication(s) * u64::from(s.params.simulation.replications);
    observer.started(total);
    let mut result = run_quiet(s, observer);
    result.seconds = started.elapsed().as_secs_f64();
    result
}

/// [`run`] without announcing the total to the observer: for runs that are part of a
/// larger job (the points of a study), whose total the caller announced.
pub fn run_quiet(s: &Scenario, observer: &dyn Observer) -> RunResult {
    let started = Instant::now();
    let replications = replications(s, 0..s.params.simulation.replications, observer);
    RunResult {
        replications,
        seconds: started.elapsed().as_secs_f64(),
        cancelled: observer.cancelled(),
    }
}

/// Run the replications with indices in `range`, in parallel. A replication's result
/// depends only on its index, so batches can be added later (precision targeting)
/// and give the same numbers as one large run.
pub fn replications(
    s: &Scenario,
    range: std::ops::Range<u32>,
    observer: &dyn Observer,
) -> Vec<Replication> {
    if s.params.simulation.households >= LARGE_POPULATION {
        // One population at a time; the households of each run in parallel.
        return range.map(|r| replication(s, r, observer, None)).collect();
    }
    range
        .into_par_iter()
        .map(|r| replication(s, r, observer, None))
        .collect()
}

/// One chunk's share of a year: its tallies, the full cost of its detected households'
/// packages, and those households waiting for the budget step, by position in the
/// chunk: with their year's records, or, in a lean run, by position alone.
#[derive(Default)]
struct ChunkYear {
    tally: YearTally,
    panel: PanelTally,
    claimed: f64,
    pending: Vec<(usize, YearRecord)>,
    lean: Vec<u32>,
    /// Under a scale rule: the newly identified households, with their claims, whose
    /// admission the county decides (their claims are not in `claimed`).
    candidates: Vec<(model::Candidate, f64)>,
}

impl ChunkYear {
    /// Ready for the next year: tallies zeroed, lists emptied. The held records keep
    /// their list's capacity from year to year: grown anew each year, a chunk's list of
    /// records (about 100 kB) touched fresh pages, and page faults took 6-8% of a run.
    fn clear(&mut self) {
        self.tally = YearTally::default();
        self.panel = PanelTally::default();
        self.claimed = 0.0;
        self.pending.clear();
        self.lean.clear();
        self.candidates.clear();
    }
}

/// The index in the population of household `i` of chunk `chunk`: the key of its
/// random streams (populations are capped at 100 million, so it fits `u32`).
fn household_id(chunk: usize, i: usize) -> u32 {
    (chunk * CHUNK + i) as u32
}

/// Household-years simulated per replication, burn-in included.
pub fn household_years_per_replication(s: &Scenario) -> u64 {
    let sim = &s.params.simulation;
    sim.households * u64::from(sim.years + sim.burn_in_years)
}

/// Mean motivation per village, summed chunk by chunk in order.
fn village_motivation(pop: &[Household], villages: usize) -> Vec<f64> {
    let parts: Vec<Vec<(f64, u64)>> = pop
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut acc = vec![(0.0, 0u64); villages];
            for h in chunk {
                let a = &mut acc[h.village as usize];
                a.0 += h.m.get();
                a.1 += 1;
            }
            acc
        })
        .collect();
    let mut total = vec![(0.0, 0u64); villages];
    for part in parts {
        for (t, p) in total.iter_mut().zip(part) {
            t.0 += p.0;
            t.1 += p.1;
        }
    }
    total
        .into_iter()
        .map(|(sum, n)| if n > 0 { sum / n as f64 } else { 0.5 })
        .collect()
}

/// Run one replication; `inspect` sees every recorded household-year.
pub fn replication(
    s: &Scenario,
    index: u32,
    observer: &dyn Observer,
    inspect: Option<Inspector<'_>>,
) -> Replication {
    let lean = s.params.simulation.households >= LARGE_POPULATION;
    replication_with(s, index, observer, inspect, lean)
}

/// [`replication`], lean or not (see [`LARGE_POPULATION`]).
fn replication_with(
    s: &Scenario,
    index: u32,
    observer: &dyn Observer,
    inspect: Option<Inspector<'_>>,
    lean: bool,
) -> Replication {
    let mut sim = Simulation::with_lean(Cow::Borrowed(s), index, observer, lean);
    while sim.step(observer, inspect) {}
    sim.finish(observer, inspect)
}

/// One replication that advances a year at a time: built from a scenario, stepped
/// with [`Simulation::step`], looked at between years ([`Simulation::households`],
/// [`Simulation::years`], the records an inspector sees), its parameters changed for
/// the years to come ([`Simulation::change_from_next_year`]), and finished into the
/// same [`Replication`] that [`run`] tabulates. [`replication`] is this, stepped to
/// the end: a stepped replication gives the same numbers as a run.
///
/// ```
/// use std::borrow::Cow;
/// use povsim::output::Tables;
/// use povsim::runner::{RunResult, Silent, Simulation};
/// use povsim::scenario::Source;
///
/// // The bundled baseline, small: 300 households, 4 years, 1 replication.
/// let small = |extra: &[(&str, f64)]| {
///     let mut src = Source::new(None)
///         .flag("simulation.households", 300, "example")
///         .flag("simulation.years", 4, "example")
///         .flag("simulation.replications", 1, "example");
///     for (key, value) in extra {
///         src = src.flag(key, *value, "example");
///     }
///     src.load().expect("the bundled baseline loads")
/// };
/// let s = small(&[]);
/// let mut sim = Simulation::new(Cow::Borrowed(&s), 0);
/// // Step through the burn-in and the first recorded year.
/// while sim.next_year() != Some(1) {
///     let records = sim.step_recorded(&Silent);
///     // A recorded year has one record per household, by id.
///     assert!(records.is_empty() || records.len() == sim.households().len());
/// }
/// let monitored = sim.households().iter().filter(|h| h.monitored()).count();
/// assert_eq!(sim.years().len(), 1);
/// assert_eq!(sim.years()[0].monitored, monitored as u64);
///
/// // From the next year on, detect every household at risk.
/// sim.change_from_next_year(&small(&[("policy.monitoring.detection_rate", 1.0)]))
///     .expect("only policies change");
/// let replication = sim.finish(&Silent, None);
/// assert_eq!(replication.years.len(), 4);
///
/// // The same tables `povsim run` writes.
/// let run = RunResult { replications: vec![replication], seconds: 0.0, cancelled: false };
/// let tables = Tables::new(&s, &run);
/// let rate = tables.summary_of("return_rate").expect("a summary metric").mean;
/// assert!((0.0..1.0).contains(&rate));
/// ```
pub struct Simulation<'s> {
    s: Cow<'s, Scenario>,
    index: u32,
    lean: bool,
    terrain: Vec<Village>,
    pop: Vec<Household>,
    parts: Vec<ChunkYear>,
    panel: PanelTally,
    years: Vec<YearTally>,
    /// The villages' draws of the last simulated year.
    village_years: Vec<VillageYear>,
    /// The next year to simulate: negative in the burn-in, 0 for `start_year`.
    t: i32,
    /// A stop was requested while it was built or stepped: it is abandoned.
    abandoned: bool,
}

impl<'s> Simulation<'s> {
    /// Replication `index` of `s` (borrowed, or owned by the simulation, as a server
    /// holding it between requests needs), with its villages and households drawn,
    /// before its first (burn-in) year.
    pub fn new(s: Cow<'s, Scenario>, index: u32) -> Simulation<'s> {
        let lean = s.params.simulation.households >= LARGE_POPULATION;
        Simulation::with_lean(s, index, &Silent, lean)
    }

    fn with_lean(
        s: Cow<'s, Scenario>,
        index: u32,
        observer: &dyn Observer,
        lean: bool,
    ) -> Simulation<'s> {
        let p0 = &s.params;
        let n = p0.simulation.households as usize;
        let terrain = population::villages(p0, index);
        let mut pop: Vec<Household> = Vec::new();
        if !observer.cancelled() {
            let draw = |id: u64| match &s.households {
                Some(rows) => {
                    population::household_from_row(p0, &terrain, index, id, &rows[id as usize])
                }
                None => population::household(p0, &terrain, index, id),
            };
            // Drawn straight into the population vector (no second copy), in chunks;
            // once a stop is requested, the remaining households are a cheap
            // placeholder and the replication is abandoned.
            let placeholder = draw(0);
            pop.reserve_exact(n);
            pop.par_extend((0..n).into_par_iter().with_min_len(CHUNK).map(|id| {
                if observer.cancelled() {
                    placeholder.clone()
                } else {
                    draw(id as u64)
                }
            }));
        }
        let abandoned = observer.cancelled();
        Simulation::assemble(s, index, lean, terrain, pop, abandoned)
    }

    /// A replication of these villages and households, before its first year.
    fn assemble(
        s: Cow<'s, Scenario>,
        index: u32,
        lean: bool,
        terrain: Vec<Village>,
        pop: Vec<Household>,
        abandoned: bool,
    ) -> Simulation<'s> {
        let sim = &s.params.simulation;
        let parts = std::iter::repeat_with(ChunkYear::default)
            .take(pop.len().div_ceil(CHUNK))
            .collect();
        let t = -(sim.burn_in_years as i32);
        let years = Vec::with_capacity(sim.years as usize);
        Simulation {
            abandoned,
            s,
            index,
            lean,
            terrain,
            pop,
            parts,
            panel: PanelTally::default(),
            years,
            village_years: Vec::new(),
            t,
        }
    }

    /// Replication `index` of `s` with the villages and households given rather than
    /// drawn (a rule case's one household; a survey population already read), before
    /// its first year. `households` must have `simulation.households` entries, each in
    /// one of `villages`.
    pub fn from_population(
        s: Cow<'s, Scenario>,
        index: u32,
        villages: Vec<Village>,
        households: Vec<Household>,
    ) -> Result<Simulation<'s>, String> {
        let n = s.params.simulation.households;
        if households.len() as u64 != n {
            return Err(format!(
                "{} households given for a scenario of {n}",
                households.len()
            ));
        }
        if let Some(h) = households
            .iter()
            .find(|h| h.village as usize >= villages.len())
        {
            return Err(format!(
                "a household lives in village {} of {}",
                h.village,
                villages.len()
            ));
        }
        let lean = n >= LARGE_POPULATION;
        Ok(Simulation::assemble(
            s, index, lean, villages, households, false,
        ))
    }

    /// The scenario, with any change made between years.
    pub fn scenario(&self) -> &Scenario {
        &self.s
    }

    /// The replication's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The villages.
    pub fn villages(&self) -> &[Village] {
        &self.terrain
    }

    /// What the hazards did to each village in the last simulated year (empty before
    /// the first).
    pub fn village_years(&self) -> &[VillageYear] {
        &self.village_years
    }

    /// Every household, by id, as the last year left it.
    pub fn households(&self) -> &[Household] {
        &self.pop
    }

    /// The tallies of the recorded years simulated so far (none in the burn-in).
    pub fn years(&self) -> &[YearTally] {
        &self.years
    }

    /// The next year to simulate (negative in the burn-in, 0 for `start_year`), or
    /// `None` once the horizon is done or the replication was abandoned.
    pub fn next_year(&self) -> Option<i32> {
        let done = self.abandoned || self.t >= self.s.params.simulation.years as i32;
        (!done).then_some(self.t)
    }

    /// Use `changed`'s parameters for every year from the next on, as a scenario
    /// event would: `changed` is the same scenario with other values (built with
    /// [`crate::scenario::Source`], so checked). The population and the villages stay
    /// as they were drawn; the horizon and the seed cannot change.
    pub fn change_from_next_year(&mut self, changed: &Scenario) -> Result<(), String> {
        let (a, b) = (&self.s.params.simulation, &changed.params.simulation);
        if (a.households, a.years, a.seed, a.start_year)
            != (b.households, b.years, b.seed, b.start_year)
        {
            return Err(
                "the households, years, seed and start year of a running replication cannot change"
                    .into(),
            );
        }
        let from = self.t.max(0) as usize;
        let own = self.s.to_mut();
        own.yearly[from..].clone_from_slice(&changed.yearly[from..]);
        if self.t <= 0 {
            own.params = changed.params.clone();
        }
        Ok(())
    }

    /// Simulate the next year; `inspect` sees every household-year once recording has
    /// begun. Returns whether a year was simulated: false once the horizon is done, or
    /// when `observer` asks to stop (the replication is then abandoned).
    pub fn step(&mut self, observer: &dyn Observer, inspect: Option<Inspector<'_>>) -> bool {
        self.advance(None, observer, inspect)
    }

    /// [`step`](Self::step) with the year's shocks given: the county's, the villages'
    /// and every household's draws. Rule cases run the engine's own year this way.
    /// Refused unless `given` has a village year per village and draws per household.
    pub fn step_given(
        &mut self,
        given: &Given,
        observer: &dyn Observer,
        inspect: Option<Inspector<'_>>,
    ) -> Result<bool, String> {
        if given.villages.len() != self.terrain.len() || given.draws.len() != self.pop.len() {
            return Err(format!(
                "given {} village years and {} households' draws for {} villages and {} households",
                given.villages.len(),
                given.draws.len(),
                self.terrain.len(),
                self.pop.len()
            ));
        }
        Ok(self.advance(Some(given), observer, inspect))
    }

    fn advance(
        &mut self,
        given: Option<&Given>,
        observer: &dyn Observer,
        inspect: Option<Inspector<'_>>,
    ) -> bool {
        if self.next_year().is_none() || observer.cancelled() {
            self.abandoned |= observer.cancelled();
            return false;
        }
        let (t, index, lean) = (self.t, self.index, self.lean);
        let n = self.pop.len();
        let (s, terrain, pop, parts) = (&self.s, &self.terrain, &mut self.pop, &mut self.parts);
        if t == 0 {
            pop.par_iter_mut().for_each(model::start_recording);
            self.panel = PanelTally::default();
        }
        let p = &s.yearly[t.max(0) as usize];
        let (county, villages) = match given {
            Some(g) => (g.county, g.villages.clone()),
            None => (
                model::county_year(p, index, t),
                model::village_years(p, index, t, terrain),
            ),
        };
        let motivation = village_motivation(pop, terrain.len());
        let ctx = YearContext::new(p, index, t, terrain, &villages, &motivation, county);
        let mon = &p.policy.monitoring;
        let scaled = mon.enabled && mon.scale_share.get() > 0.0;
        // The scale rule's base, at the start of the year: persons of registered and
        // of monitored households (integer sums, so the same on any threads).
        let at_start = if scaled {
            pop.par_iter()
                .map(|h| {
                    let persons = u64::from(h.size);
                    (
                        if h.registered() { persons } else { 0 },
                        if h.monitored() { persons } else { 0 },
                    )
                })
                .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        } else {
            (0, 0)
        };
        // A household's year to its claim, from its keyed draws or the given ones.
        let open = |h: &mut Household, id: u32| match given {
            Some(g) => {
                let mut r = model::begin_with(h, &ctx, g.draws[id as usize]);
                r.id = id;
                r
            }
            None => model::begin(h, id, &ctx),
        };

        // Pass 1: every household's year up to its claim for support. A household
        // that makes no claim closes its year at once; only detected households wait
        // for the county's budget step, with their records, or, in a lean run, with
        // their state as it was before the year, to compute the year again after it.
        pop.par_chunks_mut(CHUNK)
            .zip(parts.par_iter_mut())
            .enumerate()
            .for_each(|(chunk, (hs, part))| {
                part.clear();
                // A stopped run is abandoned: skip the work, not just the next year.
                if observer.cancelled() {
                    return;
                }
                for (i, h) in hs.iter_mut().enumerate() {
                    let before = lean.then(|| h.clone());
                    let mut r = open(h, household_id(chunk, i));
                    if r.detected {
                        match model::Candidate::of(&r, h.size).filter(|_| scaled) {
                            Some(c) => part.candidates.push((c, r.package.cost())),
                            None => part.claimed += r.package.cost(),
                        }
                        match before {
                            Some(before) => {
                                part.lean.push(i as u32);
                                *h = before;
                            }
                            None => part.pending.push((i, r)),
                        }
                    } else {
                        model::finish(h, &mut r, 1.0, &ctx, &mut part.tally, &mut part.panel);
                        if let (Some(f), true) = (inspect, t >= 0) {
                            f(index, h, &r);
                        }
                    }
                }
            });
        if observer.cancelled() {
            self.abandoned = true;
            return false;
        }

        // The county's budget sizes every package in one share; the chunks' claims
        // are added in chunk order, so the share does not depend on the threads.
        // Under a scale rule the county first decides which newly identified
        // households it admits; their claims then join the others', chunk by chunk.
        let admission = if scaled {
            let (registered, monitored) = at_start;
            let mut candidates: Vec<model::Candidate> = parts
                .iter()
                .flat_map(|part| part.candidates.iter().map(|(c, _)| *c))
                .collect();
            model::Admission::decide(mon, registered, monitored, &mut candidates)
        } else {
            model::Admission::All
        };
        let claimed: f64 = parts
            .iter()
            .map(|part| {
                part.candidates
                    .iter()
                    .filter(|(c, _)| admission.admits_candidate(c))
                    .fold(part.claimed, |sum, (_, cost)| sum + cost)
            })
            .sum();
        let share = policy::package_share(claimed, model::budget(p, n));

        // Pass 2: detected households close their year with the package paid.
        pop.par_chunks_mut(CHUNK)
            .zip(parts.par_iter_mut())
            .enumerate()
            .for_each(|(chunk, (hs, part))| {
                let ChunkYear {
                    tally,
                    panel,
                    pending,
                    lean,
                    ..
                } = part;
                let mut close = |h: &mut Household, r: &mut YearRecord| {
                    if !admission.admits(r, h.size) {
                        model::refuse(r);
                    }
                    model::finish(h, r, share, &ctx, tally, panel);
                    if let (Some(f), true) = (inspect, t >= 0) {
                        f(index, h, r);
                    }
                };
                for (i, r) in pending.iter_mut() {
                    close(&mut hs[*i], r);
                }
                // A lean run computes the year again: the same state, context and draws
                // give the same record.
                for &i in lean.iter() {
                    let i = i as usize;
                    let h = &mut hs[i];
                    let mut r = open(h, household_id(chunk, i));
                    close(h, &mut r);
                }
                // The held records wait for `ChunkYear::clear` next year; freeing a
                // lean run's list keeps its memory lowest.
                *lean = Vec::new();
            });
        let mut tally = YearTally::default();
        for part in parts.iter() {
            tally.merge(&part.tally);
            self.panel.merge(&part.panel);
        }
        if t >= 0 {
            self.years.push(tally);
        }
        self.village_years = villages;
        self.t += 1;
        observer.advanced(n as u64);
        true
    }

    /// Simulate the next year and return every household's record of it, by id
    /// (none in the burn-in, or when no year was left to simulate).
    pub fn step_recorded(&mut self, observer: &dyn Observer) -> Vec<YearRecord> {
        self.recorded(|sim, keep| sim.step(observer, Some(keep)))
    }

    /// [`step_given`](Self::step_given), returning every household's record of the
    /// year, by id, as [`step_recorded`](Self::step_recorded) does.
    pub fn step_given_recorded(
        &mut self,
        given: &Given,
        observer: &dyn Observer,
    ) -> Result<Vec<YearRecord>, String> {
        let mut refused = None;
        let records =
            self.recorded(
                |sim, keep| match sim.step_given(given, observer, Some(keep)) {
                    Ok(stepped) => stepped,
                    Err(e) => {
                        refused = Some(e);
                        false
                    }
                },
            );
        refused.map_or(Ok(records), Err)
    }

    /// The records an inspector sees while `step` runs, by id.
    fn recorded(&mut self, step: impl FnOnce(&mut Self, Inspector<'_>) -> bool) -> Vec<YearRecord> {
        let seen = std::sync::Mutex::new(Vec::new());
        let keep = |_: u32, _: &Household, r: &YearRecord| {
            if let Ok(mut v) = seen.lock() {
                v.push(r.clone());
            }
        };
        step(self, &keep);
        let mut records = seen
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        records.sort_by_key(|r| r.id);
        records
    }

    /// Simulate the years left, then close the panel: the replication's tallies, as
    /// [`run`] tabulates them. An abandoned replication has no years.
    pub fn finish(
        mut self,
        observer: &dyn Observer,
        inspect: Option<Inspector<'_>>,
    ) -> Replication {
        while self.step(observer, inspect) {}
        if self.abandoned {
            return Replication {
                index: self.index,
                years: Vec::new(),
                panel: PanelTally::default(),
            };
        }
        let years = self.s.params.simulation.years;
        for h in &self.pop {
            model::close_panel(h, years, &mut self.panel);
        }
        Replication {
            index: self.index,
            years: self.years,
            panel: self.panel,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::scenario::Source;
    use crate::scenario::params::PanelIncome;

    #[test]
    fn the_memory_check_refuses_what_does_not_fit_and_says_what_would() {
        let s = Source::new(None)
            .flag("simulation.households", 20_000_000, "test")
            .load()
            .unwrap();
        let need = memory_estimate(&s, 2);
        assert!(
            check_memory(&[&s], 2, None).is_ok(),
            "unknown memory: no check"
        );
        assert!(check_memory(&[&s], 2, Some(need * 2)).is_ok());
        let e = check_memory(&[&s], 2, Some(need / 2)).unwrap_err();
        assert_eq!(
            (e.households, e.need, e.available),
            (20_000_000, need, need / 2)
        );
        // What it proposes fits in the same memory.
        let fits = Source::new(None)
            .flag("simulation.households", e.fits, "test")
            .load()
            .unwrap();
        assert!(
            check_memory(&[&fits], 2, Some(need / 2)).is_ok(),
            "{}",
            e.fits
        );
        assert!(e.fits > 1_000_000 && e.fits < 20_000_000, "{}", e.fits);
        let text = e.to_string();
        assert!(
            text.starts_with(
                "memory check: `simulation.households` = 20000000: the run needs about"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_year_stepped_with_its_own_draws_given_is_the_drawn_year() {
        // Rule cases step with given draws: given the keyed draws, the given path must
        // be the drawn one, record for record, through the burn-in and recorded years.
        let mut s = Source::new(None)
            .flag("policy.monitoring.budget_per_household", 50.0, "test")
            .load()
            .unwrap();
        s.params.simulation.households = 1500;
        s.params.simulation.years = 3;
        let index = 2;
        let mut drawn = Simulation::new(Cow::Borrowed(&s), index);
        let mut given = Simulation::from_population(
            Cow::Borrowed(&s),
            index,
            drawn.villages().to_vec(),
            drawn.households().to_vec(),
        )
        .unwrap();
        let records = |sim: &mut Simulation<'_>, g: Option<&Given>| match g {
            Some(g) => sim.step_given_recorded(g, &Silent).unwrap(),
            None => sim.step_recorded(&Silent),
        };
        let mut steps = 0;
        while let Some(t) = drawn.next_year() {
            let p = &s.yearly[t.max(0) as usize];
            let (pop, terrain) = (given.households(), given.villages());
            let county = model::county_year(p, index, t);
            let villages = model::village_years(p, index, t, terrain);
            let motivation = village_motivation(pop, terrain.len());
            let ctx = YearContext::new(p, index, t, terrain, &villages, &motivation, county);
            let draws = (0..pop.len() as u64)
                .map(|id| Draws::new(&ctx, id))
                .collect();
            let g = Given {
                county,
                villages: villages.clone(),
                draws,
            };
            assert_eq!(
                records(&mut given, Some(&g)),
                records(&mut drawn, None),
                "t = {t}"
            );
            assert_eq!(given.households(), drawn.households(), "t = {t}");
            steps += 1;
        }
        assert_eq!(steps, 3 + s.params.simulation.burn_in_years);
        let (villages, pop) = (given.villages().to_vec(), given.households().to_vec());
        assert_eq!(given.finish(&Silent, None), drawn.finish(&Silent, None));

        // And the given draws are the ones used: a zero illness draw makes everyone ill.
        s.params.simulation.burn_in_years = 0;
        s.yearly = vec![s.params.clone(); 3];
        let mut sick =
            Simulation::from_population(Cow::Borrowed(&s), index, villages, pop).unwrap();
        let p = &s.yearly[0];
        let ctx_villages = model::village_years(p, index, 0, sick.villages());
        let g = Given {
            county: model::county_year(p, index, 0),
            villages: ctx_villages,
            draws: vec![
                Draws {
                    ill: 0.0,
                    ..Draws::default()
                };
                1500
            ],
        };
        let short = Given {
            draws: g.draws[..1499].to_vec(),
            ..g.clone()
        };
        let v = sick.villages().len();
        assert_eq!(
            sick.step_given_recorded(&short, &Silent).unwrap_err(),
            format!(
                "given {v} village years and 1499 households' draws for {v} villages and 1500 households"
            )
        );
        assert_eq!(sick.next_year(), Some(0), "a refused year is not simulated");
        let year = records(&mut sick, Some(&g));
        assert_eq!(year.len(), 1500);
        assert!(year.iter().all(|r| r.ill), "every household falls ill");
    }

    #[test]
    fn a_population_given_must_match_the_scenario() {
        let mut s = Source::new(None).load().unwrap();
        s.params.simulation.households = 10;
        let sim = Simulation::new(Cow::Borrowed(&s), 0);
        let (villages, pop) = (sim.villages().to_vec(), sim.households().to_vec());
        let short =
            Simulation::from_population(Cow::Borrowed(&s), 0, villages.clone(), pop[..9].to_vec());
        assert_eq!(
            short.err().unwrap(),
            "9 households given for a scenario of 10"
        );
        let nowhere =
            Simulation::from_population(Cow::Borrowed(&s), 0, villages[..0].to_vec(), pop);
        assert!(
            nowhere
                .err()
                .unwrap()
                .starts_with("a household lives in village")
        );
    }

    #[test]
    fn a_lean_replication_gives_the_same_numbers_and_records() {
        // Small enough to be quick, several chunks, and a budget that binds; then with
        // the scale rule binding too, whose refusals a lean run decides again.
        for scale in [0.0, 0.05] {
            lean_matches(scale);
        }
    }

    fn lean_matches(scale: f64) {
        let scale_share = scale.to_string();
        let s = small(&[
            ("simulation.households", "3000"),
            ("simulation.years", "4"),
            ("policy.monitoring.budget_per_household", "50"),
            ("policy.monitoring.scale_share", &scale_share),
        ]);
        let seen = |lean: bool| {
            let records = Mutex::new(Vec::new());
            let keep = |_: u32, _: &Household, r: &YearRecord| {
                records.lock().unwrap().push((r.id, r.clone()));
            };
            let rep = replication_with(&s, 1, &Silent, Some(&keep), lean);
            let mut records = records.into_inner().unwrap();
            records.sort_by_key(|(id, r)| (r.t, *id));
            (rep, records)
        };
        let (fast, fast_records) = seen(false);
        let (lean, lean_records) = seen(true);
        assert!(fast.years.iter().all(|y| y.detected > 0 && y.served > 0));
        assert!(
            fast.years
                .iter()
                .any(|y| y.monitoring_paid() < 0.99 * y.claimed),
            "the budget binds"
        );
        assert_eq!(
            fast.years.iter().any(|y| y.refused > 0),
            scale > 0.0,
            "the scale rule binds when set"
        );
        assert_eq!(fast, lean);
        assert_eq!(fast_records.len(), 3000 * 4);
        assert!(
            fast_records == lean_records,
            "the inspector sees the same records"
        );
    }

    #[test]
    fn the_scale_rule_admits_the_neediest_up_to_its_limit() {
        let share = 0.05;
        let s = small(&[
            ("simulation.households", "3000"),
            ("simulation.years", "4"),
            ("policy.monitoring.scale_share", &share.to_string()),
        ]);
        let mut sim = Simulation::new(Cow::Borrowed(&s), 0);
        let persons = |sim: &Simulation<'_>, keep: fn(&Household) -> bool| -> f64 {
            sim.households()
                .iter()
                .filter(|h| keep(h))
                .map(|h| f64::from(h.size))
                .sum()
        };
        let mut refused_years = 0;
        while sim.next_year().is_some() {
            let limit = share * persons(&sim, Household::registered);
            let before = persons(&sim, Household::monitored);
            let records = sim.step_recorded(&Silent);
            if records.is_empty() {
                continue;
            }
            // The stock grows only up to the limit: admissions fill the room left.
            let after = persons(&sim, Household::monitored);
            assert!(
                after <= before.max(limit),
                "{after} > max({before}, {limit})"
            );
            let admitted = records.iter().filter(|r| r.newly_detected);
            let refused: Vec<_> = records.iter().filter(|r| r.refused).collect();
            if refused.is_empty() {
                continue;
            }
            refused_years += 1;
            // Every refused household needed less than every admitted one.
            let neediest_refused = refused.iter().map(|r| r.y_pre).fold(f64::MAX, f64::min);
            let least_needy_admitted = admitted.map(|r| r.y_pre).fold(f64::MIN, f64::max);
            assert!(least_needy_admitted <= neediest_refused);
            assert!(
                refused
                    .iter()
                    .all(|r| r.at_risk && !r.detected && r.package.cost() == 0.0)
            );
            let year = sim.years().last().unwrap();
            assert_eq!(year.refused, refused.len() as u64);
            assert!(year.missed >= year.refused);
        }
        assert!(refused_years > 0, "the limit binds in some year");
    }

    #[test]
    fn the_review_verifies_on_the_income_it_is_given() {
        // On income before medical spending, a household whose bills alone take it
        // under the line is not verified poor; on net income it is.
        let verified = |measure: &str| {
            let s = small(&[
                ("simulation.households", "3000"),
                ("simulation.years", "2"),
                ("policy.register.income", measure),
            ]);
            let mut sim = Simulation::new(Cow::Borrowed(&s), 0);
            let mut records = Vec::new();
            while sim.next_year().is_some() {
                records.extend(sim.step_recorded(&Silent));
            }
            let sizes: Vec<u8> = sim.households().iter().map(|h| h.size).collect();
            records
                .into_iter()
                .filter(|r| r.verified_poor)
                .map(|r| {
                    let size = sizes[r.id as usize];
                    (
                        r.income_on(PanelIncome::Net, size),
                        r.income_on(PanelIncome::BeforeMedical, size),
                        r.poverty_line,
                    )
                })
                .collect::<Vec<_>>()
        };
        let net = verified("net");
        let register = verified("before_medical");
        assert!(register.iter().all(|&(_, before, z)| before < z));
        assert!(net.iter().all(|&(y, _, z)| y < z));
        assert!(
            net.iter().any(|&(_, before, z)| before >= z),
            "some are verified poor on net income only because of their medical spending"
        );
        assert!(register.len() < net.len());
    }

    #[test]
    fn lean_runs_need_less_memory_per_household() {
        let fast = bytes_per_household(LARGE_POPULATION - 1);
        let lean = bytes_per_household(LARGE_POPULATION);
        assert!(lean * 2 < fast, "lean {lean} vs {fast} bytes");
    }

    /// The baseline, small (2,500 households, 5 years, 1 replication), with `sets`
    /// applied after those, so that they can change them too.
    fn small(sets: &[(&str, &str)]) -> Scenario {
        let mut src = Source::new(None)
            .flag("simulation.households", 2500, "test")
            .flag("simulation.years", 5, "test")
            .flag("simulation.replications", 1, "test");
        for (k, v) in sets {
            src = src.flag(k, v, "test");
        }
        src.load().unwrap()
    }

    #[test]
    fn a_replication_stepped_a_year_at_a_time_is_the_run_and_shows_its_households() {
        let s = small(&[]);
        let whole = replication(&s, 2, &Silent, None);
        let mut sim = Simulation::new(Cow::Borrowed(&s), 2);
        let burn = s.params.simulation.burn_in_years as i32;
        assert_eq!(sim.next_year(), Some(-burn));
        let mut seen = Vec::new();
        while let Some(t) = sim.next_year() {
            let records = sim.step_recorded(&Silent);
            if t < 0 {
                assert!(records.is_empty(), "no records in the burn-in");
                continue;
            }
            assert_eq!(records.len(), 2500);
            assert!(
                records
                    .iter()
                    .enumerate()
                    .all(|(i, r)| r.id as usize == i && r.t == t)
            );
            // Between years, the households are those the records describe.
            let lifted = sim.households().iter().filter(|h| h.registered()).count();
            assert_eq!(sim.years().last().unwrap().registered, lifted as u64);
            seen.push(records.iter().filter(|r| r.returned).count() as u64);
        }
        assert_eq!(sim.next_year(), None);
        assert!(!sim.step(&Silent, None), "nothing after the horizon");
        let stepped = sim.finish(&Silent, None);
        assert_eq!(stepped, whole);
        let returns: Vec<u64> = whole.years.iter().map(|y| y.returns).collect();
        assert_eq!(seen, returns);
        assert!(returns.iter().sum::<u64>() > 0);
    }

    #[test]
    fn a_change_between_years_is_the_same_as_a_scenario_event() {
        // An event in the third year, against a stepped replication changed before it.
        let base = small(&[]);
        let changed = small(&[("policy.monitoring.detection_rate", "0.2")]);
        let text = "extends = \"baseline.toml\"\n[[events]]\nyear = 2022\n[events.set]\npolicy.monitoring.detection_rate = 0.2\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("baseline.toml"),
            crate::scenario::BASELINE_TOML,
        )
        .unwrap();
        std::fs::write(dir.path().join("event.toml"), text).unwrap();
        let event = Source::new(Some(dir.path().join("event.toml")))
            .flag("simulation.households", 2500, "test")
            .flag("simulation.years", 5, "test")
            .flag("simulation.replications", 1, "test")
            .load()
            .unwrap();
        let want = replication(&event, 0, &Silent, None);
        let mut sim = Simulation::new(Cow::Borrowed(&base), 0);
        while sim.next_year() != Some(2) {
            sim.step(&Silent, None);
        }
        sim.change_from_next_year(&changed).unwrap();
        assert_eq!(sim.finish(&Silent, None), want);
        assert_ne!(
            want,
            replication(&base, 0, &Silent, None),
            "the change matters"
        );
        // The horizon cannot change.
        let mut sim = Simulation::new(Cow::Borrowed(&base), 0);
        assert!(
            sim.change_from_next_year(&small(&[("simulation.years", "4")]))
                .is_err()
        );
    }
}
