//! `povsim run`, `validate`, `check`, `trace` and `report`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use povsim::output::{self, Invocation};
use povsim::runner;
use povsim::trace::{self, Find};

use super::args::{CheckArgs, MetricsArgs, ReportArgs, RunArgs, SimArgs, TraceArgs, ValidateArgs};
use super::progress::{Progress, announce};
use super::{Failure, Result, check_memory, load, out_dir, pool, print, write_outputs};

/// `povsim run`: simulate a scenario and write its tables, manifest and report.
pub fn run(a: RunArgs, command_line: &[String]) -> Result {
    let s = load(&a.sim.source(a.scenario.clone())?)?;
    let dir = out_dir(&a.output.out, &s.name);
    output::check_target(&dir, a.output.force)?;
    let pool = pool(a.output.threads)?;
    let threads = pool.current_num_threads();
    check_memory(&[&s], threads)?;
    announce(
        a.output.quiet,
        runner::household_years_per_replication(&s) * u64::from(s.params.simulation.replications),
        runner::memory_estimate(&s, threads),
        threads,
        "stops without writing",
    );
    let progress = Progress::new(a.output.quiet, "simulating");
    let result = pool.install(|| runner::run(&s, &progress));
    progress.finish();
    if result.cancelled {
        return Err(Failure::Interrupted(dir));
    }
    let how = Invocation {
        command_line: command_line.to_vec(),
        threads,
    };
    let mut made = output::run_output(&s, &result, &how)?;
    write_outputs(&dir, &a.output, &mut made.files)?;
    if !a.output.quiet {
        let mut out = std::io::stdout().lock();
        print::summary(&mut out, &s, &made.tables)?;
        writeln!(out, "\n{}", print::wrote(&dir, &made.files))?;
    }
    Ok(())
}

/// `povsim validate`: check a scenario and print it resolved.
pub fn validate(a: ValidateArgs) -> Result {
    let sim = SimArgs {
        set: a.set,
        ..SimArgs::default()
    };
    let s = load(&sim.source(Some(a.scenario.clone()))?)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "# {} is valid.", a.scenario.display())?;
    out.write_all(s.to_toml()?.as_bytes())?;
    Ok(())
}

/// Some rule cases failed.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} rule cases failed")]
struct CasesFailed {
    failed: usize,
    total: usize,
}

/// `povsim check`: run policy rule cases.
pub fn check(a: CheckArgs) -> Result {
    let mut files = Vec::new();
    for path in &a.cases {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read folder {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for f in &files {
        let name = f.display().to_string();
        let case = povsim::cases::load(f)?;
        let outcome = povsim::cases::run(&case, &name)?;
        let status = if outcome.passed() { "pass" } else { "FAIL" };
        writeln!(out, "{status}  {name}: {}", outcome.description)?;
        for (key, want, got) in &outcome.failures {
            match got {
                Some(g) => writeln!(
                    out,
                    "      {key}: expected {want}, got {g} (difference {})",
                    g - want
                )?,
                None => writeln!(
                    out,
                    "      {key}: expected {want}, but the case has no such value (see --verbose)"
                )?,
            }
        }
        if a.verbose {
            for (k, v) in &outcome.values {
                writeln!(out, "      {k} = {v}")?;
            }
        }
        failed += usize::from(!outcome.passed());
    }
    writeln!(out, "{} passed, {failed} failed", files.len() - failed)?;
    if failed > 0 {
        return Err(anyhow::Error::new(CasesFailed {
            failed,
            total: files.len(),
        })
        .into());
    }
    Ok(())
}

/// `povsim trace`: one household's story.
pub fn trace(a: TraceArgs) -> Result {
    let s = load(&a.sim.source(a.scenario.clone())?)?;
    let sim = &s.params.simulation;
    if a.replication >= sim.replications {
        return Err(Failure::flag(
            "--replication",
            "replication",
            a.replication,
            &format!(
                "must be below the scenario's {} replications",
                sim.replications
            ),
        ));
    }
    if !["text", "csv"].contains(&a.format.as_str()) {
        return Err(Failure::flag(
            "--format",
            "format",
            &a.format,
            "must be text or csv",
        ));
    }
    let id = match (&a.find, a.household) {
        (Some(what), _) => {
            let kind = match what.as_str() {
                "returned" => Find::Returned,
                "never-poor" => Find::NeverPoor,
                "monitored" => Find::Monitored,
                w => {
                    return Err(Failure::flag(
                        "--find",
                        "find",
                        w,
                        "must be returned, never-poor or monitored",
                    ));
                }
            };
            trace::find(&s, a.replication, kind).ok_or_else(|| {
                anyhow::anyhow!(
                    "no household in replication {} shows `{what}`; try another --replication or more --households",
                    a.replication
                )
            })?
        }
        (None, Some(id)) if id < sim.households => id,
        (None, Some(id)) => {
            return Err(Failure::flag(
                "--household",
                "household",
                id,
                &format!(
                    "must be below the {} households of the scenario",
                    sim.households
                ),
            ));
        }
        (None, None) => {
            return Err(Failure::flag(
                "povsim trace",
                "household",
                "none",
                "give --household ID or --find returned|never-poor|monitored",
            ));
        }
    };
    let years = trace::trace(&s, a.replication, id);
    let bytes = if a.format == "csv" {
        trace::csv(&s, id, &years)?
    } else {
        trace::narrative(&s, id, &years).into_bytes()
    };
    std::io::stdout().lock().write_all(&bytes)?;
    Ok(())
}

/// `povsim metrics`: the metric registry, as a table or as CSV.
pub fn metrics(a: MetricsArgs) -> Result {
    use povsim::metrics::registry;
    let mut out = std::io::stdout().lock();
    if a.csv {
        let mut csv = output::Csv::new(
            "the metric list",
            ["name", "table", "unit", "label", "counts"],
        )?;
        for m in registry::all() {
            csv.row([
                m.name.as_str(),
                m.scope().tables(),
                m.unit.name(),
                m.label.as_str(),
                m.counts.as_str(),
            ])?;
        }
        out.write_all(&csv.finish()?)?;
        return Ok(());
    }
    let width = registry::all().map(|m| m.name.len()).max().unwrap_or(0);
    writeln!(
        out,
        "{:width$}  {:<16}  {:<15}  what it counts",
        "metric", "table", "unit"
    )?;
    for m in registry::all() {
        writeln!(
            out,
            "{:width$}  {:<16}  {:<15}  {}",
            m.name,
            m.scope().tables(),
            m.unit.name(),
            m.counts
        )?;
    }
    Ok(())
}

/// `povsim report`: rebuild the charts and report of an output folder.
pub fn report(a: ReportArgs) -> Result {
    let written = povsim::report::write(&a.dir)?;
    println!("wrote {} in {}", written.join(", "), a.dir.display());
    Ok(())
}
