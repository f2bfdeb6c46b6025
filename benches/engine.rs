//! Criterion benchmarks of the engine's stages on the bundled baseline, every
//! mechanism on: one household-year step, population synthesis, one replication.
//!
//! `cargo bench --bench engine`; figures and history are in `docs/benchmarks.md`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use povsim::metrics::{PanelTally, YearTally};
use povsim::model::{self, YearContext};
use povsim::population;
use povsim::runner::{self, CHUNK, Silent};
use povsim::scenario::{Scenario, Source};

fn baseline(households: u64) -> Scenario {
    Source::new(None)
        .flag("simulation.households", households, "--households")
        .flag("simulation.replications", 1, "--replications")
        .load()
        .expect("the bundled baseline loads")
}

/// One household-year (`begin`, then `finish` without the county budget step), over a
/// chunk of households in their first recorded year.
fn household_year(c: &mut Criterion) {
    let s = baseline(CHUNK as u64);
    let p = &s.params;
    let terrain = population::villages(p, 0);
    let pop: Vec<_> = (0..CHUNK as u64)
        .map(|id| population::household(p, &terrain, 0, id))
        .collect();
    let county = model::county_year(p, 0, 0);
    let villages = model::village_years(p, 0, 0, &terrain);
    let motivation = vec![0.5; terrain.len()];
    let ctx = YearContext::new(p, 0, 0, &terrain, &villages, &motivation, county);
    let mut group = c.benchmark_group("household_year");
    group.throughput(Throughput::Elements(CHUNK as u64));
    group.bench_function("begin_and_finish", |b| {
        b.iter_batched_ref(
            || pop.clone(),
            |hs| {
                let mut tally = YearTally::default();
                let mut panel = PanelTally::default();
                for (id, h) in (0u32..).zip(hs.iter_mut()) {
                    let mut r = model::begin(h, id, &ctx);
                    model::finish(h, &mut r, 1.0, &ctx, &mut tally, &mut panel);
                }
                tally
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn synthesis(c: &mut Criterion) {
    let s = baseline(10_000);
    let p = &s.params;
    let terrain = population::villages(p, 0);
    let mut group = c.benchmark_group("synthesis");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("households_10k", |b| {
        b.iter(|| {
            (0..10_000u64)
                .map(|id| population::household(p, &terrain, 0, id))
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

fn replication(c: &mut Criterion) {
    let s = baseline(10_000);
    let mut group = c.benchmark_group("replication");
    group.throughput(Throughput::Elements(
        runner::household_years_per_replication(&s),
    ));
    group.sample_size(20);
    group.bench_function("households_10k", |b| {
        b.iter(|| runner::replication(&s, 0, &Silent, None))
    });
    group.finish();
}

/// A classroom step: one year of 2,000 households under the class's policy and the
/// baseline beside it, and the village view the page draws, as `POST /api/step`
/// answers it. The animation needs it under 50 ms.
fn classroom_step(c: &mut Criterion) {
    use povsim::classroom::{Session, Setup};
    let setup = Setup {
        households: Some(2_000),
        compare: true,
        ..Setup::default()
    };
    let mut group = c.benchmark_group("classroom");
    group.sample_size(20);
    group.bench_function("step_2000_households_with_baseline", |b| {
        b.iter_batched(
            || Session::setup(None, &setup).expect("the baseline sets up"),
            |mut session| {
                session.step();
                serde_json::to_vec(&session.view()).expect("the view serialises")
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(
    benches,
    household_year,
    synthesis,
    replication,
    classroom_step
);
criterion_main!(benches);
