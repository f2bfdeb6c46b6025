//! Fuzzing of scenario parsing and validation: mutations of the committed corpus
//! (bundled scenarios, bad inputs, rule cases) must give a scenario or an error, never
//! a panic. The ordinary test run does a short pass; `.ci/run` runs the ignored test
//! for about a minute (`POVSIM_FUZZ_SECONDS`). A crash is saved to
//! `target/fuzz-crash-*.toml`; add it to `tests/bad_inputs` as a regression case.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use povsim::scenario::Source;

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["scenarios", "tests/bad_inputs", "tests/rules"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            if let Ok(bytes) = std::fs::read(&p)
                && bytes.len() < 64 * 1024
            {
                out.push(bytes);
            }
        }
    }
    out
}

/// SplitMix64: a tiny deterministic generator for mutations.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: [&str; 24] = [
    "=",
    "[",
    "]",
    "[[events]]",
    "\n",
    "\"",
    ".",
    "0",
    "-1",
    "1e400",
    "nan",
    "inf",
    "true",
    "{",
    "}",
    ",",
    "extends = \"",
    "policy.monitoring.",
    "simulation.years = ",
    "year = 2025",
    "[events.set]",
    "#",
    "\u{1F600}",
    "0x7f",
];

fn mutate(rng: &mut Mix, base: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            3 => {
                // Splice a piece of another corpus file.
                let other = &pool[rng.below(pool.len())];
                let s = rng.below(other.len());
                let e = (s + rng.below(200)).min(other.len());
                v.splice(at..at, other[s..e].iter().copied());
            }
            4 if !v.is_empty() => {
                let i = rng.below(v.len());
                let j = rng.below(v.len());
                v.swap(i, j);
            }
            _ => v.truncate(at),
        }
    }
    v
}

fn fuzz_for(budget: Duration, seed: u64) -> usize {
    let pool = seeds();
    assert!(pool.len() > 50);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fuzz.toml");
    let mut rng = Mix(seed);
    let start = Instant::now();
    let mut runs = 0;
    while start.elapsed() < budget {
        let base = &pool[rng.below(pool.len())];
        let input = mutate(&mut rng, base, &pool);
        std::fs::write(&file, &input).unwrap();
        let outcome = std::panic::catch_unwind(|| {
            let _ = Source::new(Some(file.clone())).load();
        });
        if outcome.is_err() {
            let crash = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("target/fuzz-crash-{runs}.toml"));
            let _ = std::fs::write(&crash, &input);
            panic!(
                "scenario loading panicked; input saved to {}",
                crash.display()
            );
        }
        runs += 1;
    }
    runs
}

#[test]
fn scenario_loading_never_panics_short() {
    let runs = fuzz_for(Duration::from_secs(3), 1);
    assert!(runs > 100, "{runs} inputs tried");
}

#[test]
#[ignore = "long fuzzing pass, run by .ci/run"]
fn scenario_loading_never_panics_long() {
    let secs = std::env::var("POVSIM_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed = std::env::var("POVSIM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20200101);
    let runs = fuzz_for(Duration::from_secs(secs), seed);
    println!("fuzz: {runs} inputs in {secs} s, seed {seed}");
}
