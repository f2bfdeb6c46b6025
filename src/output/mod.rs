//! Output files of a run: CSV tables, the manifest and the resolved scenario.
//!
//! A run's directory is written in a temporary sibling and renamed into place when
//! complete, so a directory that exists is never half-written, and with `--force` the
//! previous results are replaced only once the new ones are whole.

use std::fmt::Write as _;
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
    pub fn yearly_csv(&self) -> String {
        let mut out = String::from("scenario,year,metric,mean,sd,ci_low,ci_high,n\n");
        for (t, year) in self.years.iter().enumerate() {
            for (i, name) in self.yearly_names.iter().enumerate() {
                let s = stats::summarize(&self.yearly[t][i]);
                let _ = writeln!(
                    out,
                    "{},{},{},{}",
                    self.scenario,
                    year,
                    name,
                    stats_fields(&s)
                );
            }
        }
        out
    }

    /// `replications.csv`.
    pub fn replications_csv(&self) -> String {
        let mut out = String::from("scenario,replication,year,metric,value\n");
        let reps = self
            .yearly
            .first()
            .and_then(|y| y.first())
            .map_or(0, Vec::len);
        for r in 0..reps {
            for (t, year) in self.years.iter().enumerate() {
                for (i, name) in self.yearly_names.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{},{},{},{},{}",
                        self.scenario, r, year, name, self.yearly[t][i][r]
                    );
                }
            }
        }
        out
    }

    /// `summary.csv`.
    pub fn summary_csv(&self) -> String {
        let mut out = String::from("scenario,metric,mean,sd,ci_low,ci_high,n\n");
        for (i, name) in self.summary_names.iter().enumerate() {
            let s = stats::summarize(&self.summary[i]);
            let _ = writeln!(out, "{},{},{}", self.scenario, name, stats_fields(&s));
        }
        out
    }

    /// `causes.csv`.
    pub fn causes_csv(&self) -> String {
        let mut out = String::from("scenario,year,cause,returns_mean,share\n");
        for (t, year) in self.years.iter().enumerate() {
            let means: Vec<f64> = self.causes[t]
                .iter()
                .map(|v| stats::summarize(v).mean)
                .collect();
            let total: f64 = means.iter().sum();
            for c in Cause::ALL {
                let m = means[c as usize];
                let share = if total > 0.0 { m / total } else { 0.0 };
                let _ = writeln!(
                    out,
                    "{},{},{},{},{}",
                    self.scenario,
                    year,
                    c.name(),
                    m,
                    share
                );
            }
        }
        out
    }
}

/// `mean,sd,ci_low,ci_high,n` of a summary; empty fields where undefined (n < 2).
pub fn stats_fields(s: &Summary) -> String {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    format!(
        "{},{},{},{},{}",
        s.mean,
        opt(s.sd),
        opt(s.ci.map(|c| c.0)),
        opt(s.ci.map(|c| c.1)),
        s.n
    )
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

/// The files of a run, named with `prefix` (a subfolder ending in `/`, or empty).
pub fn run_files(
    prefix: &str,
    s: &Scenario,
    tables: &Tables,
    manifest: &Manifest,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let manifest = serde_json::to_string_pretty(manifest).map_err(|e| OutputError::Serialize {
        what: format!("{prefix}manifest.json"),
        message: e.to_string(),
    })?;
    let files = [
        ("yearly.csv", tables.yearly_csv()),
        ("replications.csv", tables.replications_csv()),
        ("summary.csv", tables.summary_csv()),
        ("causes.csv", tables.causes_csv()),
        ("manifest.json", manifest + "\n"),
        ("scenario.toml", s.to_toml()?),
    ];
    Ok(files
        .into_iter()
        .map(|(f, t)| (format!("{prefix}{f}"), t.into_bytes()))
        .collect())
}

/// Write one file so that it is never seen half-written: into `NAME.tmp` beside it,
/// then renamed over it.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), OutputError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
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
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    for (file, text) in files {
        let path = tmp.join(file);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(io(folder))?;
        }
        fs::write(&path, text).map_err(io(&path))?;
    }
    if dir.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        fs::rename(dir, &old).map_err(io(dir))?;
        fs::rename(&tmp, dir).map_err(io(dir))?;
        fs::remove_dir_all(&old).map_err(io(&old))?;
    } else {
        fs::rename(&tmp, dir).map_err(io(dir))?;
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
