//! Replications in parallel, with progress reported through an [`Observer`].
//!
//! Households are processed in fixed chunks of [`CHUNK`]; each chunk's tally is filled
//! serially and chunks are merged in index order, so the numbers are the same for any
//! thread count. Replications run in parallel with each other too.

use std::time::Instant;

use rayon::prelude::*;

use crate::metrics::{PanelTally, YearTally};
use crate::model::{self, YearContext, YearRecord};
use crate::policy;
use crate::population::{self, Household};
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
    let p0 = &s.params;
    if observer.cancelled() {
        return Replication {
            index,
            years: Vec::new(),
            panel: PanelTally::default(),
        };
    }
    let n = p0.simulation.households as usize;
    let terrain = population::villages(p0, index);
    let draw = |id: u64| match &s.households {
        Some(rows) => population::household_from_row(p0, &terrain, index, id, &rows[id as usize]),
        None => population::household(p0, &terrain, index, id),
    };
    // Drawn straight into the population vector (no second copy), in chunks; once a
    // stop is requested, the remaining households are a cheap placeholder and the
    // replication is abandoned.
    let placeholder = draw(0);
    let mut pop: Vec<Household> = Vec::with_capacity(n);
    pop.par_extend((0..n).into_par_iter().with_min_len(CHUNK).map(|id| {
        if observer.cancelled() {
            placeholder.clone()
        } else {
            draw(id as u64)
        }
    }));
    if observer.cancelled() {
        return Replication {
            index,
            years: Vec::new(),
            panel: PanelTally::default(),
        };
    }
    let burn = p0.simulation.burn_in_years as i32;
    let mut years = Vec::with_capacity(p0.simulation.years as usize);
    let mut parts: Vec<ChunkYear> = std::iter::repeat_with(ChunkYear::default)
        .take(n.div_ceil(CHUNK))
        .collect();
    let mut panel = PanelTally::default();
    for t in -burn..p0.simulation.years as i32 {
        if observer.cancelled() {
            break;
        }
        if t == 0 {
            pop.par_iter_mut().for_each(model::start_recording);
            panel = PanelTally::default();
        }
        let p = &s.yearly[t.max(0) as usize];
        let county = model::county_year(p, index, t);
        let villages = model::village_years(p, index, t, &terrain);
        let motivation = village_motivation(&pop, terrain.len());
        let ctx = YearContext::new(p, index, t, &terrain, &villages, &motivation, county);

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
                    let mut r = model::begin(h, household_id(chunk, i), &ctx);
                    if r.detected {
                        part.claimed += r.package.cost();
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
            break;
        }

        // The county's budget sizes every package in one share; the chunks' claims
        // are added in chunk order, so the share does not depend on the threads.
        let claimed: f64 = parts.iter().map(|part| part.claimed).sum();
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
                    let mut r = model::begin(h, household_id(chunk, i), &ctx);
                    close(h, &mut r);
                }
                // The held records wait for `ChunkYear::clear` next year; freeing a
                // lean run's list keeps its memory lowest.
                *lean = Vec::new();
            });
        let mut tally = YearTally::default();
        for part in &parts {
            tally.merge(&part.tally);
            panel.merge(&part.panel);
        }
        if t >= 0 {
            years.push(tally);
        }
        observer.advanced(n as u64);
    }
    for h in &pop {
        model::close_panel(h, p0.simulation.years, &mut panel);
    }
    Replication {
        index,
        years,
        panel,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::scenario::Source;

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
    fn a_lean_replication_gives_the_same_numbers_and_records() {
        // Small enough to be quick, several chunks, and a budget that binds.
        let mut s = Source::new(None)
            .flag("policy.monitoring.budget_per_household", 50.0, "test")
            .load()
            .unwrap();
        s.params.simulation.households = 3000;
        s.params.simulation.years = 4;
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
        assert_eq!(fast, lean);
        assert_eq!(fast_records.len(), 3000 * 4);
        assert!(
            fast_records == lean_records,
            "the inspector sees the same records"
        );
    }

    #[test]
    fn lean_runs_need_less_memory_per_household() {
        let fast = bytes_per_household(LARGE_POPULATION - 1);
        let lean = bytes_per_household(LARGE_POPULATION);
        assert!(lean * 2 < fast, "lean {lean} vs {fast} bytes");
    }
}
