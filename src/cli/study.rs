//! `povsim sweep`, `sensitivity` and `calibrate`: resumable studies of many points.

use std::path::PathBuf;

use povsim::calibrate::Calibration;
use povsim::compare;
use povsim::runner::{self, Observer};
use povsim::scenario::Source;
use povsim::sensitivity::{self, Method, Plan, Shard, Study};

use super::args::{CalibrateArgs, MergeArgs, OutputArgs, SensitivityArgs, SplitArgs, SweepArgs};
use super::progress::{Progress, announce};
use super::{Failure, Result, check_memory, load, out_dir, pool, print};

/// `povsim sweep`: a full-factorial grid over the `--vary` values.
pub fn sweep(a: SweepArgs) -> Result {
    let study = match &a.resume {
        Some(dir) => Study::open(dir)?,
        None => {
            if a.vary.is_empty() {
                return Err(Failure::flag(
                    "--vary",
                    "vary",
                    "none",
                    "give at least one --vary KEY=LO:HI:N or KEY=V1,V2,...",
                ));
            }
            let varied = a
                .vary
                .iter()
                .map(|v| sensitivity::parse_vary(v))
                .collect::<Result<Vec<_>, _>>()?;
            let s = load(&a.sim.source(a.scenario.clone())?)?;
            let plan = Plan {
                method: Method::Sweep,
                metric: compare::RANK_METRIC.into(),
                samples: 0,
                seed: s.params.simulation.seed,
                varied,
                factors: Vec::new(),
            };
            let dir = out_dir(&a.output.out, &format!("{}-sweep", s.name));
            Study::create(&dir, a.output.force, &s, plan)?
        }
    };
    run_study(&study, &a.output, &a.split, "sweep")
}

/// `povsim sensitivity`: Latin hypercube, Morris or Sobol indices of a metric.
pub fn sensitivity(a: SensitivityArgs) -> Result {
    let study = match &a.resume {
        Some(dir) => Study::open(dir)?,
        None => {
            let method = match a.method.as_str() {
                "lhs" => Method::Lhs,
                "morris" => Method::Morris,
                "sobol" => Method::Sobol,
                m => {
                    return Err(Failure::flag(
                        "--method",
                        "method",
                        m,
                        "must be lhs, morris or sobol",
                    ));
                }
            };
            if a.samples < 2 || a.samples > 100_000 {
                return Err(Failure::flag(
                    "--samples",
                    "samples",
                    a.samples,
                    "must be from 2 to 100000",
                ));
            }
            let path = a
                .factors
                .clone()
                .unwrap_or_else(|| PathBuf::from("builtin:factors.toml"));
            let mut factors = sensitivity::load_factors(&path)?;
            if a.dummy {
                factors.push(povsim::design::Factor::dummy());
            }
            let s = load(&a.sim.source(a.scenario.clone())?)?;
            let plan = Plan::sensitivity(
                method,
                &a.metric,
                a.samples,
                s.params.simulation.seed,
                &factors,
            )?;
            let dir = out_dir(&a.output.out, &format!("{}-{}", s.name, method.name()));
            Study::create(&dir, a.output.force, &s, plan)?
        }
    };
    run_study(&study, &a.output, &a.split, "points")
}

/// Run a study's pending points (a shard's, with `--shard`), then write its tables and
/// report; with `--prepare`, only say how to run it.
fn run_study(study: &Study, out: &OutputArgs, split: &SplitArgs, label: &'static str) -> Result {
    let total = study.len();
    if split.prepare {
        if !out.quiet {
            println!(
                "prepared {total} points in {dir}; run them with `{resume}`, or split them with `{resume} --shard I/N` (I from 1 to N, or --shard slurm in a job array), then `povsim merge {dir}`",
                dir = study.dir.display(),
                resume = study.resume_command(),
            );
        }
        return Ok(());
    }
    let shard = match split.shard.as_deref() {
        None => None,
        Some(spec) => Some(
            Shard::from_flag(spec, |v| std::env::var(v).ok())
                .map_err(|rule| Failure::flag("--shard", "shard", spec, &rule))?,
        ),
    };
    let pool = pool(out.threads)?;
    let threads = pool.current_num_threads();
    check_memory(&[&study.scenario], threads)?;
    // Read the point files once: what is done, and what this process is to run.
    let all_pending = study.pending();
    let pending: Vec<usize> = match shard {
        Some(shard) => all_pending
            .iter()
            .copied()
            .filter(|&i| shard.contains(i))
            .collect(),
        None => all_pending.clone(),
    };
    let done_before = total - all_pending.len();
    let per_point = study.household_years_per_point();
    announce(
        out.quiet,
        per_point * pending.len() as u64,
        runner::memory_estimate(&study.scenario, threads),
        threads,
        "keeps finished points; --resume completes the study",
    );
    let progress = Progress::new(out.quiet, label);
    progress.point_finished(done_before, total);
    progress.started(per_point * (done_before + pending.len()) as u64);
    progress.advanced(per_point * done_before as u64);
    let ran = pool.install(|| study.run_points(&pending, done_before, &progress))?;
    progress.finish();
    if ran < pending.len() {
        return Err(Failure::InterruptedStudy {
            dir: study.dir.clone(),
            saved: format!("{} of {total} points are done", done_before + ran),
        });
    }
    if let Some(shard) = shard {
        if !out.quiet {
            // Read again: other shards may have finished points meanwhile.
            let remaining = study.pending().len();
            let next = if remaining == 0 {
                "write the tables with"
            } else {
                "when the other shards are done,"
            };
            println!(
                "shard {shard}: ran {ran} points; {} of {total} points of the study are done; {next} `povsim merge {}`",
                total - remaining,
                study.dir.display()
            );
        }
        return Ok(());
    }
    finish_study(study, out.no_report, out.quiet, ran)
}

/// Write a study's tables and report, and print them.
fn finish_study(study: &Study, no_report: bool, quiet: bool, ran: usize) -> Result {
    let finished = study.finish()?;
    let mut files = finished.files.clone();
    if !no_report {
        match povsim::report::write(&study.dir) {
            Ok(written) => files.extend(written),
            Err(e) => eprintln!("warning: report.html not written: {e}"),
        }
    }
    if !quiet {
        print::study(&mut std::io::stdout().lock(), study, &finished, &files, ran)?;
    }
    Ok(())
}

/// `povsim merge`: every point present and whole, then the tables and the report;
/// `Study::finish` refuses a study with a point missing, naming them all.
pub fn merge(a: MergeArgs) -> Result {
    let study = Study::open(&a.dir)?;
    finish_study(&study, a.no_report, a.quiet, 0)
}

/// `povsim calibrate`: fit a scenario's parameters to published targets.
pub fn calibrate(a: CalibrateArgs) -> Result {
    let mut cal = match &a.resume {
        Some(dir) => Calibration::open(dir)?,
        None => {
            let Some(factors) = a.factors.clone() else {
                return Err(Failure::flag(
                    "--factors",
                    "factors",
                    "none",
                    "give the factors file of the parameters to fit, e.g. scenarios/baseline_factors.toml",
                ));
            };
            for (name, n, low) in [("samples", a.samples, 1), ("evaluations", a.evaluations, 0)] {
                if n < low || n > 100_000 {
                    return Err(Failure::flag(
                        &format!("--{name}"),
                        name,
                        n,
                        &format!("must be from {low} to 100000"),
                    ));
                }
            }
            let s = load(&a.sim.source(a.scenario.clone())?)?;
            let dir = out_dir(&a.output.out, &format!("{}-calibrate", s.name));
            Calibration::create(
                &dir,
                a.output.force,
                &s,
                &a.targets,
                &factors,
                a.holdout.clone(),
                a.samples,
                a.evaluations,
            )?
        }
    };
    let out = &a.output;
    let pool = pool(out.threads)?;
    let threads = pool.current_num_threads();
    let total = cal.evaluations_planned()?;
    let per = cal.household_years_per_evaluation()?;
    let base = Source::new(Some(cal.dir.join("scenario.toml"))).load()?;
    check_memory(&[&base], threads)?;
    announce(
        out.quiet,
        per * total as u64,
        runner::memory_estimate(&base, threads),
        threads,
        "keeps finished evaluations; --resume continues the fit",
    );
    let progress = Progress::new(out.quiet, "evaluations");
    progress.started(per * total as u64);
    let best = pool.install(|| cal.run(&progress))?;
    progress.finish();
    let Some(best) = best else {
        return Err(Failure::InterruptedStudy {
            dir: cal.dir.clone(),
            saved: format!("{} evaluations are done", cal.evaluations_done()),
        });
    };
    let fit = pool.install(|| cal.finish(&best))?;
    if !out.quiet {
        print::calibration(&mut std::io::stdout().lock(), &cal, &fit)?;
    }
    Ok(())
}
