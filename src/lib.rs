//! # povsim: return-to-poverty dynamics of rural households
//!
//! An agent-based Monte Carlo simulator: thousands to millions of households live year
//! by year through income shocks, illness, village disasters and job losses, under the
//! policies a scenario file describes, and the tool reports how many households lifted
//! out of poverty fall back, with honest uncertainty. The domain model is documented in
//! `docs/model.md`.
//!
//! ## Architecture
//!
//! Modules are pipeline stages, listed in the order data flows. Dependencies point
//! down only: a module uses those above it, never those below.
//!
//! | module | stage |
//! |---|---|
//! | [`scenario`] | what to simulate: TOML files, `extends`, `--set`, events → one validated [`scenario::Scenario`] |
//! | [`rng`] | the only place a random generator is built; streams keyed by what is simulated |
//! | [`population`] | the synthetic initial households and villages |
//! | [`policy`] | the countermeasures and safety net as pure, testable functions |
//! | [`metrics`] | what is counted, in mergeable tallies |
//! | [`model`] | one year of a household's life, calling `policy` and filling `metrics` |
//! | [`cases`] | policy rule cases: one household-year with fixed shocks and expected values |
//! | [`runner`] | replications and households in parallel; progress through an [`runner::Observer`] |
//! | [`stats`] | means, standard deviations, Student-t intervals, paired tests |
//! | [`output`] | CSV tables, manifest, resolved scenario, written atomically |
//! | [`design`] | sweeps, Latin hypercube, Morris and Sobol designs and their indices |
//! | [`sensitivity`] | sweeps and sensitivity studies in resumable study directories |
//! | [`trace`] | one household's story, from the engine's own records |
//! | [`compare`] | studies of a baseline and variants: paired differences, cost-effectiveness, precision targeting |
//! | [`report`] | charts (SVG, PNG) and a self-contained `report.html`, from an output directory's files alone |
//! | [`calibrate`] | targets as data; fits of a scenario's parameters to them, resumable |
//! | [`classroom`] | a village stepped a year at a time for a class, beside the same households under the starting scenario |
//!
//! The library never prints or touches the terminal. The `povsim` command is a binary
//! on top of it (`src/main.rs` and `src/cli/`): it parses the flags, prints, draws the
//! progress bar and turns Ctrl-C into a cancelled [`runner::Observer`]. It alone
//! depends on clap, indicatif, ctrlc and anyhow, behind the default `cli` feature; a
//! program that links the library builds it with `default-features = false`.
//!
//! ## Determinism
//!
//! Every random stream is a pure function of (seed, replication, household or
//! village, year, purpose), every draw is made whatever the policy (a stream's last
//! only when used, as nothing follows it), and sums run in fixed chunks merged in
//! order: the same seed gives byte-identical outputs on any number of threads, and two
//! scenarios run with one seed face the same shocks.

pub mod calibrate;
pub mod cases;
pub mod classroom;
pub mod compare;
pub mod design;
pub mod metrics;
pub mod model;
pub mod output;
pub mod policy;
pub mod population;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod sensitivity;
pub mod stats;
pub mod trace;
