//! The physical floor: a bare loop that makes, per household-year, the same number and
//! kinds of random draws as the engine's up-front ones (11 uniforms, 4 normals and 2
//! log-normals, each keyed by seed, replication, household, year and purpose from the
//! same counter-based generator, exactly as `model::Draws` does) and nothing else.
//! Households run in the engine's chunks, in parallel with rayon, and every draw feeds
//! a sum so that none can be optimised away.
//!
//! `cargo bench --bench draw_floor -- --households N --years T --replications R --threads K`
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

fn household_year(streams: rng::Streams, id: u64, year: u32) -> f64 {
    let k = streams.key(id, year);
    // Four sums, not one: a single sum would chain the additions one after another and
    // time that chain rather than the draws.
    let mut acc = [0.0; 4];
    for (i, p) in purposes::UNIFORMS.iter().enumerate() {
        acc[i % 4] += k.uniform(*p);
    }
    for (i, p) in purposes::NORMALS.iter().enumerate() {
        let x = k.normal(*p);
        // Two of the normals become log-normals, as income and wage do in the engine.
        acc[i % 4] += if i < 2 { rng::math::exp(0.5 * x) } else { x };
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
                            (lo..hi).map(|id| household_year(streams, id, year)).sum()
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
        "{{\"program\": \"draw_floor\", \"threads\": {}, \"household_years\": {hy}, \"seconds\": {seconds}, \"household_years_per_second\": {}, \"checksum\": {total}}}",
        pool.current_num_threads(),
        hy as f64 / seconds
    );
}
