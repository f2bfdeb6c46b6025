//! `povsim compare`, and the bare `povsim`, which compares the bundled study.

use std::io::Write;
use std::path::Path;

use povsim::compare::{self, Precision, Study};
use povsim::output::{self, Invocation};
use povsim::runner;

use super::args::CompareArgs;
use super::progress::{Progress, announce};
use super::{Failure, Result, check_memory, note_unreached, out_dir, pool, print, write_outputs};

/// `povsim compare`: the baseline and each variant on common random numbers.
pub fn compare(a: CompareArgs, command_line: &[String]) -> Result {
    let study = match a.files.as_slice() {
        [] => Study::load(Path::new(compare::DEFAULT_STUDY))?,
        [one] if Study::is_study(one) => Study::load(one)?,
        [_] => {
            return Err(Failure::flag(
                "povsim compare",
                "files",
                a.files[0].display(),
                "give a baseline and at least one variant (povsim compare BASELINE VARIANT...), or a study file",
            ));
        }
        [base, variants @ ..] => Study {
            name: "compare".into(),
            description: String::new(),
            baseline: base.clone(),
            variants: variants.to_vec(),
        },
    };
    let precision = match a.precision {
        None => None,
        Some(eps) if eps.is_finite() && eps > 0.0 => Some(Precision {
            epsilon: eps,
            max_replications: a.max_replications,
        }),
        Some(eps) => {
            return Err(Failure::flag(
                "--precision",
                "precision",
                eps,
                "the target half-width must be a number > 0",
            ));
        }
    };
    let overrides = a.sim.source(None)?;
    let scenarios = study.scenarios(&overrides, a.independent)?;
    if let Some(p) = precision {
        let start = scenarios[0].params.simulation.replications;
        if p.max_replications < start.max(2) {
            return Err(Failure::flag(
                "--max-replications",
                "max_replications",
                p.max_replications,
                &format!(
                    "must be at least the starting replications ({}) and at least 2",
                    start.max(2)
                ),
            ));
        }
    }
    let dir = out_dir(&a.output.out, &study.name);
    output::check_target(&dir, a.output.force)?;
    let pool = pool(a.output.threads)?;
    let threads = pool.current_num_threads();
    check_memory(&scenarios.iter().collect::<Vec<_>>(), threads)?;
    let reps = u64::from(
        precision.map_or(scenarios[0].params.simulation.replications, |p| {
            p.max_replications
        }),
    );
    announce(
        a.output.quiet,
        scenarios
            .iter()
            .map(runner::household_years_per_replication)
            .sum::<u64>()
            * reps,
        scenarios
            .iter()
            .map(|s| runner::memory_estimate(s, threads))
            .max()
            .unwrap_or(0),
        threads,
        "stops without writing",
    );
    scenarios.iter().for_each(note_unreached);
    let progress = Progress::new(a.output.quiet, "comparing");
    let result = pool.install(|| compare::run(scenarios, precision, a.independent, &progress));
    progress.finish();
    if result.cancelled {
        return Err(Failure::Interrupted(dir));
    }
    let how = Invocation {
        command_line: command_line.to_vec(),
        threads,
    };
    let mut made = result.output(&study, precision, &how)?;
    write_outputs(&dir, &a.output, &mut made.files)?;
    if !a.output.quiet {
        let mut out = std::io::stdout().lock();
        print::comparison(&mut out, &study, &result, &made.tables, &made.rows)?;
        writeln!(out, "\n{}", print::wrote(&dir, &made.files))?;
    }
    Ok(())
}
