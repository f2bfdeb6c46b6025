//! The physical floor: a bare loop that makes, per household-year, the random draws
//! the engine makes, and nothing else: each keyed by seed, replication, household,
//! year and purpose from the same counter-based generator, exactly as `model::Draws`
//! does. The engine makes a draw only when a pass needs it (no illness cost for a
//! household that is not ill), 7.4 of its 17 purposes per household-year on the
//! baseline; so the floor makes each purpose at the rate the engine does (`ENGINE_MIX`,
//! measured with a counting build), choosing which household-years by a cheap hash of
//! household, year and purpose. `--all` makes all 17 every household-year, as the
//! engine did before session 14. Households run in the engine's chunks, in parallel
//! with rayon, and every draw feeds a sum so that none can be optimised away.
//!
//! `cargo bench --bench draw_floor -- --households N --years T --replications R --threads K [--all]`
//! prints one JSON line; `benches/compare.py` runs it beside the engine.

use std::time::Instant;

use povsim::model::purposes;
use povsim::rng::{self, Kind};
use povsim::runner::CHUNK;
use rayon::prelude::*;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
        .unwrap_or(default)
}

/// Draws per household-year of each purpose of `purposes::UNIFORMS` and then
/// `purposes::NORMALS`, as the engine makes them on the bundled baseline (10,000
/// households x 13 years x 20 replications, default seed; session 14, with a build
/// that counted every draw): illness, training and the persistent innovation every
/// year; a wage only for a household with a job; no transitory shock (its standard
/// deviation is 0).
// Sized by the purpose lists: a draw added to the engine fails this build until its
// measured rate is added here.
const ENGINE_MIX: [f64; purposes::UNIFORMS.len() + purposes::NORMALS.len()] = [
    0.374, 0.640, 1.0, 0.155, 0.155, 0.670, 0.579, 0.030, 0.070, 0.151, 1.0,
    0.037, // uniforms
    0.155, 0.278, 1.0, 0.0, 0.665, 0.497, // normals
];

/// Whether the household-year makes the draw of purpose `i`, at `ENGINE_MIX`'s rate:
/// a multiply and a compare, far cheaper than the draw it guards.
#[inline]
fn makes(all: bool, id: u64, year: u32, i: usize) -> bool {
    if all {
        return true;
    }
    let w = (id ^ (u64::from(year) << 40) ^ ((i as u64) << 56)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((w >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < ENGINE_MIX[i]
}

fn household_year(streams: rng::Streams, id: u64, year: u32, all: bool) -> f64 {
    let k = streams.key(id, year);
    // Four sums, not one: a single sum would chain the additions one after another and
    // time that chain rather than the draws.
    let mut acc = [0.0; 4];
    for (i, p) in purposes::UNIFORMS.iter().enumerate() {
        if makes(all, id, year, i) {
            acc[i % 4] += k.uniform(*p);
        }
    }
    let n = purposes::UNIFORMS.len();
    for (i, p) in purposes::NORMALS.iter().enumerate() {
        if makes(all, id, year, n + i) {
            let x = k.normal(*p);
            // The persistent innovation and the wage become log-normals, as income and
            // wage do in the engine.
            acc[i % 4] += if *p == purposes::PERSISTENT || *p == purposes::WAGE {
                rng::math::exp(0.5 * x)
            } else {
                x
            };
        }
    }
    acc.iter().sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; nothing else is expected.
    let households = arg(&args, "--households", 10_000);
    let years = arg(&args, "--years", 13) as u32;
    let replications = arg(&args, "--replications", 20) as u32;
    let threads = arg(&args, "--threads", 0) as usize;
    let all = args.iter().any(|a| a == "--all");
    let seed = 20200101;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let started = Instant::now();
    let total: f64 = pool.install(|| {
        (0..replications)
            .into_par_iter()
            .map(|rep| {
                let streams = rng::Streams::new(seed, rep, Kind::HouseholdYear);
                let mut sum = 0.0;
                for year in 0..years {
                    let chunks: Vec<f64> = (0..households.div_ceil(CHUNK as u64))
                        .into_par_iter()
                        .map(|c| {
                            let lo = c * CHUNK as u64;
                            let hi = (lo + CHUNK as u64).min(households);
                            (lo..hi)
                                .map(|id| household_year(streams, id, year, all))
                                .sum()
                        })
                        .collect();
                    sum += chunks.iter().sum::<f64>();
                }
                sum
            })
            .collect::<Vec<f64>>()
            .iter()
            .sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    let hy = households * u64::from(years) * u64::from(replications);
    println!(
        "{{\"program\": \"draw_floor\", \"draws\": \"{}\", \"threads\": {}, \"household_years\": {hy}, \"seconds\": {seconds}, \"household_years_per_second\": {}, \"checksum\": {total}}}",
        if all { "all" } else { "engine" },
        pool.current_num_threads(),
        hy as f64 / seconds
    );
}
