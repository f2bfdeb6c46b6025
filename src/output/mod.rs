//! Output files of a run: CSV tables, the manifest and the resolved scenario.
//!
//! A run's directory is written in a temporary sibling and renamed into place when
//! complete, so a directory that exists is never half-written, and with `--force` the
//! previous results are replaced only once the new ones are whole.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::metrics::{self, Cause};
use crate::runner::{Replication, RunResult};
use crate::scenario::Scenario;
use crate::stats::{self, Summary};

/// Errors of writing outputs.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The directory exists and holds files.
    #[error("output directory {} exists and is not empty; choose another --out or add --force to replace it", .0.display())]
    NotEmpty(PathBuf),
    /// An I/O failure.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A value could not be written as TOML.
    #[error("cannot write {what}: {message}")]
    Serialize {
        /// The file.
        what: String,
        /// The serialiser's message.
        message: String,
    },
}

/// The error of an I/O failure on `path`.
pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Per-metric figures of a run, built once and written to several files.
#[derive(Debug, Clone)]
pub struct Tables {
    /// Scenario name.
    pub scenario: String,
    /// Calendar years.
    pub years: Vec<i32>,
    /// Yearly metric names, in order.
    pub yearly_names: Vec<String>,
    /// `yearly[t][m]` = values over replications.
    pub yearly: Vec<Vec<Vec<f64>>>,
    /// Summary metric names, in order.
    pub summary_names: Vec<String>,
    /// `summary[m]` = values over replications.
    pub summary: Vec<Vec<f64>>,
    /// `causes[t][c]` = returns per replication.
    pub causes: Vec<Vec<Vec<f64>>>,
}

impl Tables {
    /// Collect a run's figures.
    pub fn new(s: &Scenario, run: &RunResult) -> Tables {
        Tables::from_replications(s, &run.replications)
    }

    /// Collect the figures of the given replications.
    pub fn from_replications(s: &Scenario, replications: &[Replication]) -> Tables {
        let n_years = s.params.simulation.years as usize;
        let years = (0..n_years).map(|t| s.year(t)).collect();
        let mut yearly_names = Vec::new();
        let mut yearly = vec![Vec::new(); n_years];
        let mut causes = vec![vec![Vec::new(); Cause::ALL.len()]; n_years];
        let mut summary_names = Vec::new();
        let mut summary: Vec<Vec<f64>> = Vec::new();
        for rep in replications {
            for (t, tally) in rep.years.iter().enumerate() {
                let m = tally.metrics();
                if yearly_names.is_empty() {
                    yearly_names = m.iter().map(|(k, _)| k.clone()).collect();
                }
                if yearly[t].is_empty() {
                    yearly[t] = vec![Vec::new(); m.len()];
                }
                for (i, (_, v)) in m.into_iter().enumerate() {
                    yearly[t][i].push(v);
                }
                for c in Cause::ALL {
                    causes[t][c as usize].push(tally.causes[c as usize] as f64);
                }
            }
            let sm = metrics::summary(&rep.years, &rep.panel);
            if summary_names.is_empty() {
                summary_names = sm.iter().map(|(k, _)| k.clone()).collect();
                summary = vec![Vec::new(); sm.len()];
            }
            for (i, (_, v)) in sm.into_iter().enumerate() {
                summary[i].push(v);
            }
        }
        Tables {
            scenario: s.name.clone(),
            years,
            yearly_names,
            yearly,
            summary_names,
            summary,
            causes,
        }
    }

    /// Summary statistics of a whole-horizon metric.
    pub fn summary_of(&self, metric: &str) -> Option<Summary> {
        let i = self.summary_names.iter().position(|n| n == metric)?;
        Some(stats::summarize(&self.summary[i]))
    }

    /// `yearly.csv`.
    pub fn yearly_csv(&self) -> Result<Vec<u8>, OutputError> {
        let header = ["scenario", "year", "metric"]
            .into_iter()
            .chain(STATS_HEADER);
        let mut out = Csv::new("yearly.csv", header)?;
        for (t, year) in self.years.iter().enumerate() {
            for (i, name) in self.yearly_names.iter().enumerate() {
                let s = stats::summarize(&self.yearly[t][i]);
                let head = [self.scenario.clone(), year.to_string(), name.clone()];
                out.row(head.into_iter().chain(stats_record(&s)))?;
            }
        }
        out.finish()
    }

    /// `replications.csv`.
    pub fn replications_csv(&self) -> Result<Vec<u8>, OutputError> {
        let mut out = Csv::new(
            "replications.csv",
            ["scenario", "replication", "year", "metric", "value"],
        )?;
        let reps = self
            .yearly
            .first()
            .and_then(|y| y.first())
            .map_or(0, Vec::len);
        for r in 0..reps {
            for (t, year) in self.years.iter().enumerate() {
                for (i, name) in self.yearly_names.iter().enumerate() {
                    out.row([
                        self.scenario.clone(),
                        r.to_string(),
                        year.to_string(),
                        name.clone(),
                        self.yearly[t][i][r].to_string(),
                    ])?;
                }
            }
        }
        out.finish()
    }

    /// `summary.csv`.
    pub fn summary_csv(&self) -> Result<Vec<u8>, OutputError> {
        let header = ["scenario", "metric"].into_iter().chain(STATS_HEADER);
        let mut out = Csv::new("summary.csv", header)?;
        for (i, name) in self.summary_names.iter().enumerate() {
            let s = stats::summarize(&self.summary[i]);
            let head = [self.scenario.clone(), name.clone()];
            out.row(head.into_iter().chain(stats_record(&s)))?;
        }
        out.finish()
    }

    /// `causes.csv`.
    pub fn causes_csv(&self) -> Result<Vec<u8>, OutputError> {
        let mut out = Csv::new(
            "causes.csv",
            ["scenario", "year", "cause", "returns_mean", "share"],
        )?;
        for (t, year) in self.years.iter().enumerate() {
            let means: Vec<f64> = self.causes[t]
                .iter()
                .map(|v| stats::summarize(v).mean)
                .collect();
            let total: f64 = means.iter().sum();
            for c in Cause::ALL {
                let m = means[c as usize];
                let share = if total > 0.0 { m / total } else { 0.0 };
                out.row([
                    self.scenario.clone(),
                    year.to_string(),
                    c.name().to_string(),
                    m.to_string(),
                    share.to_string(),
                ])?;
            }
        }
        out.finish()
    }
}

/// The header fields of [`stats_record`].
pub const STATS_HEADER: [&str; 5] = ["mean", "sd", "ci_low", "ci_high", "n"];

/// `mean, sd, ci_low, ci_high, n` of a summary; empty fields where undefined (n < 2).
pub fn stats_record(s: &Summary) -> [String; 5] {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    [
        s.mean.to_string(),
        opt(s.sd),
        opt(s.ci.map(|c| c.0)),
        opt(s.ci.map(|c| c.1)),
        s.n.to_string(),
    ]
}

/// A CSV table built in memory through the `csv` crate, which quotes any field that
/// needs it (a scenario named `north, dry` stays one field); a failure to encode is
/// an error naming the file, never a silently shortened table.
pub struct Csv {
    what: String,
    writer: csv::Writer<Vec<u8>>,
}

impl Csv {
    /// A table named `what` (for messages) with this header row.
    pub fn new<I, T>(what: impl Into<String>, header: I) -> Result<Csv, OutputError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut table = Csv {
            what: what.into(),
            writer: csv::Writer::from_writer(Vec::new()),
        };
        table.row(header)?;
        Ok(table)
    }

    /// Append one row.
    pub fn row<I, T>(&mut self, fields: I) -> Result<(), OutputError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let what = &self.what;
        self.writer
            .write_record(fields)
            .map_err(|e| OutputError::Serialize {
                what: what.clone(),
                message: e.to_string(),
            })
    }

    /// The table's bytes.
    pub fn finish(self) -> Result<Vec<u8>, OutputError> {
        let what = self.what;
        self.writer
            .into_inner()
            .map_err(|e| OutputError::Serialize {
                what,
                message: e.to_string(),
            })
    }
}

/// What `manifest.json` records.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// povsim version.
    pub povsim_version: String,
    /// The command line.
    pub command_line: Vec<String>,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Households per replication.
    pub households: u64,
    /// Recorded years.
    pub years: u32,
    /// Burn-in years.
    pub burn_in_years: u32,
    /// Replications.
    pub replications: u32,
    /// Wall time of the simulation (seconds).
    pub wall_seconds: f64,
    /// Simulated household-years per second (burn-in included).
    pub household_years_per_second: f64,
    /// Events of the scenario past the horizon the command line set, not reached.
    pub events_not_reached: Vec<String>,
}

/// How the tool was invoked, for the manifests.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// The command line, program name first.
    pub command_line: Vec<String>,
    /// Worker threads.
    pub threads: usize,
}

impl Manifest {
    /// The manifest of a run of `s` that simulated `household_years` (burn-in
    /// included) in `seconds`.
    pub fn new(s: &Scenario, how: &Invocation, seconds: f64, household_years: u64) -> Manifest {
        let sim = &s.params.simulation;
        Manifest {
            povsim_version: env!("CARGO_PKG_VERSION").into(),
            command_line: how.command_line.clone(),
            scenario: s.name.clone(),
            seed: sim.seed,
            threads: how.threads,
            households: sim.households,
            years: sim.years,
            burn_in_years: sim.burn_in_years,
            replications: sim.replications,
            wall_seconds: seconds,
            household_years_per_second: household_years as f64 / seconds.max(1e-9),
            events_not_reached: s.unreached.iter().map(|e| e.label()).collect(),
        }
    }
}

/// A finished run's tables and the files they make: what `povsim run` writes.
pub struct RunOutput {
    /// The tables.
    pub tables: Tables,
    /// Every file, with its name in the output folder.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Assemble the tables and files of a finished run of `s`.
pub fn run_output(
    s: &Scenario,
    result: &RunResult,
    how: &Invocation,
) -> Result<RunOutput, OutputError> {
    let tables = Tables::new(s, result);
    let household_years = crate::runner::household_years_per_replication(s)
        * u64::from(s.params.simulation.replications);
    let manifest = Manifest::new(s, how, result.seconds, household_years);
    let files = run_files("", s, &tables, &manifest)?;
    Ok(RunOutput { tables, files })
}

/// A manifest's bytes: pretty JSON and a final newline; `what` names the file in an
/// error.
pub fn json_file(what: &str, value: &impl Serialize) -> Result<Vec<u8>, OutputError> {
    let json = serde_json::to_string_pretty(value).map_err(|e| OutputError::Serialize {
        what: what.into(),
        message: e.to_string(),
    })?;
    Ok((json + "\n").into_bytes())
}

/// The files of a run, named with `prefix` (a subfolder ending in `/`, or empty).
pub fn run_files(
    prefix: &str,
    s: &Scenario,
    tables: &Tables,
    manifest: &Manifest,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let manifest = json_file(&format!("{prefix}manifest.json"), manifest)?;
    let files = [
        ("yearly.csv", tables.yearly_csv()?),
        ("replications.csv", tables.replications_csv()?),
        ("summary.csv", tables.summary_csv()?),
        ("causes.csv", tables.causes_csv()?),
        ("manifest.json", manifest),
        ("scenario.toml", s.to_toml()?.into_bytes()),
    ];
    Ok(files
        .into_iter()
        .map(|(f, bytes)| (format!("{prefix}{f}"), bytes))
        .collect())
}

/// Write one file so that it is never seen half-written: into a temporary file beside
/// it, named for this process and this write (so two writers never share one), then
/// renamed over it. On failure the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), OutputError> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".tmp-{}-{n}", std::process::id()));
    let tmp = path.with_file_name(name);
    // The message names the file the user asked for, not the temporary one.
    let written = fs::write(&tmp, bytes)
        .map_err(io(path))
        .and_then(|()| fs::rename(&tmp, path).map_err(io(path)));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// A whole number of CNY with thousands separators: `12,345`, `-1,500`.
pub fn thousands(x: f64) -> String {
    let v = x.round() as i64;
    let digits = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Refuse a non-empty `dir` unless `force`; then write `files` into a temporary sibling
/// and rename it into place.
pub fn write_dir(dir: &Path, force: bool, files: &[(String, Vec<u8>)]) -> Result<(), OutputError> {
    replace_dir(dir, force, |staged| write_files(staged, dir, files))
}

/// Refuse a non-empty `dir` unless `force`; then let `fill` write the new contents into
/// a temporary sibling folder and rename that into place. If `fill` or a rename fails,
/// the temporary folder is removed and whatever `dir` held before is still there: a
/// full disk or a read-only folder never costs the earlier results.
pub fn replace_dir<E: From<OutputError>>(
    dir: &Path,
    force: bool,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    check_target(dir, force)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(dir))?;
    }
    let staged = fs::create_dir_all(&tmp)
        .map_err(|e| E::from(io(dir)(e)))
        .and_then(|()| fill(&tmp));
    let placed = staged.and_then(|()| swap_into_place(&tmp, dir, &parent, &name).map_err(E::from));
    if placed.is_err() {
        // A full disk or a failing write leaves nothing behind but the earlier results.
        let _ = fs::remove_dir_all(&tmp);
    }
    placed
}

/// Rename the staged folder `tmp` to `dir`, moving an existing `dir` aside first and
/// back if the rename fails.
fn swap_into_place(tmp: &Path, dir: &Path, parent: &Path, name: &str) -> Result<(), OutputError> {
    if !dir.exists() {
        return fs::rename(tmp, dir).map_err(io(dir));
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    fs::rename(dir, &old).map_err(io(dir))?;
    if let Err(e) = fs::rename(tmp, dir) {
        // Put the earlier results back where they were.
        let _ = fs::rename(&old, dir);
        return Err(io(dir)(e));
    }
    fs::remove_dir_all(&old).map_err(io(&old))
}

/// Write `files` under `root`, creating their folders; a failure names the file under
/// `shown`, where it was meant to end up.
fn write_files(root: &Path, shown: &Path, files: &[(String, Vec<u8>)]) -> Result<(), OutputError> {
    for (file, bytes) in files {
        let path = root.join(file);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(io(&shown.join(file)))?;
        }
        fs::write(&path, bytes).map_err(io(&shown.join(file)))?;
    }
    Ok(())
}

/// Fail early, before a long run, if `dir` would be refused.
pub fn check_target(dir: &Path, force: bool) -> Result<(), OutputError> {
    if dir.exists() && !force {
        let empty = fs::read_dir(dir).map_err(io(dir))?.next().is_none();
        if !empty {
            return Err(OutputError::NotEmpty(dir.to_path_buf()));
        }
    }
    Ok(())
}

/// `YYYYMMDD-HHMMSS` in UTC, for default output folder names.
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_empty_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        write_dir(&out, false, &[("a.txt".into(), b"1".to_vec())]).unwrap();
        let err = write_dir(&out, false, &[("a.txt".into(), b"2".to_vec())]).unwrap_err();
        assert!(err.to_string().contains("--force"));
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "1");
        write_dir(&out, true, &[("b/c.txt".into(), b"3".to_vec())]).unwrap();
        assert!(!out.join("a.txt").exists());
        assert_eq!(fs::read_to_string(out.join("b/c.txt")).unwrap(), "3");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary folders left");
    }

    #[test]
    fn timestamp_has_the_right_shape() {
        let t = timestamp();
        assert_eq!(t.len(), 15);
        assert!(t.starts_with("20"));
    }
}
