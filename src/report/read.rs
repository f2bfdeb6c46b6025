//! Reading an output directory's files: the contract between the commands and the report.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::ReportError;

/// The text files of an output directory, by path relative to it (`/`-separated).
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// The directory, for messages.
    pub dir: PathBuf,
    files: BTreeMap<String, String>,
}

impl Files {
    /// Every CSV, JSON and TOML file under `dir`, except the per-point files of a
    /// sensitivity study and the charts.
    pub fn from_dir(dir: &Path) -> Result<Files, ReportError> {
        let mut files = Files {
            dir: dir.to_path_buf(),
            files: BTreeMap::new(),
        };
        if !dir.is_dir() {
            return Err(ReportError::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such directory; give the folder a povsim command wrote",
                ),
            });
        }
        files.walk(dir, "", 0)?;
        Ok(files)
    }

    fn walk(&mut self, dir: &Path, prefix: &str, depth: usize) -> Result<(), ReportError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReportError::Io { path, source }
        };
        let mut entries: Vec<_> = fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                if depth == 0 && name != "points" && name != "charts" {
                    self.walk(&path, &format!("{prefix}{name}/"), depth + 1)?;
                }
            } else if [".csv", ".json", ".toml"].iter().any(|e| name.ends_with(e)) {
                let bytes = fs::read(&path).map_err(io(&path))?;
                let text = String::from_utf8(bytes).map_err(|_| ReportError::Format {
                    file: format!("{prefix}{name}"),
                    message: "is not UTF-8 text; it was not written by povsim".into(),
                })?;
                self.files.insert(format!("{prefix}{name}"), text);
            }
        }
        Ok(())
    }

    /// The files a command is about to write, for the report written with them.
    pub fn from_pairs(dir: &Path, pairs: &[(String, Vec<u8>)]) -> Files {
        Files {
            dir: dir.to_path_buf(),
            files: pairs
                .iter()
                .filter_map(|(n, b)| Some((n.clone(), String::from_utf8(b.clone()).ok()?)))
                .collect(),
        }
    }

    /// Whether the file is there.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    fn text(&self, name: &str) -> Result<&str, ReportError> {
        self.files
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ReportError::Format {
                file: name.into(),
                message: format!(
                    "missing from {}; the report needs the CSV files its command wrote",
                    self.dir.display()
                ),
            })
    }

    /// An optional JSON file.
    pub fn json(&self, name: &str) -> Result<Option<serde_json::Value>, ReportError> {
        self.files
            .get(name)
            .map(|t| {
                serde_json::from_str(t).map_err(|e| ReportError::Format {
                    file: name.into(),
                    message: format!("not valid JSON: {e}"),
                })
            })
            .transpose()
    }

    /// An optional TOML file.
    pub fn toml(&self, name: &str) -> Result<Option<toml::Table>, ReportError> {
        self.files
            .get(name)
            .map(|t| {
                t.parse::<toml::Table>().map_err(|e| ReportError::Format {
                    file: name.into(),
                    message: format!("not valid TOML: {}", e.message()),
                })
            })
            .transpose()
    }

    /// A CSV file as records, with the positions of the required columns.
    fn csv(&self, name: &str, columns: &[&str]) -> Result<Table, ReportError> {
        let text = self.text(name)?;
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let err = |message: String| ReportError::Format {
            file: name.into(),
            message,
        };
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| err(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut index = Vec::new();
        for c in columns {
            let i = header.iter().position(|h| h == c).ok_or_else(|| {
                err(format!(
                    "has no column `{c}` (header: {}); was it written by this version of povsim?",
                    header.join(",")
                ))
            })?;
            index.push(i);
        }
        let mut rows = Vec::new();
        for (line, record) in reader.records().enumerate() {
            let record = record.map_err(|e| err(e.to_string()))?;
            rows.push((line + 2, record.iter().map(str::to_string).collect()));
        }
        Ok(Table {
            name: name.into(),
            header,
            index,
            rows,
        })
    }
}

struct Table {
    name: String,
    header: Vec<String>,
    index: Vec<usize>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn field<'a>(&self, row: &'a (usize, Vec<String>), col: usize) -> Result<&'a str, ReportError> {
        row.1
            .get(self.index[col])
            .map(String::as_str)
            .ok_or_else(|| ReportError::Format {
                file: self.name.clone(),
                message: format!("line {}: too few fields", row.0),
            })
    }

    fn number(&self, row: &(usize, Vec<String>), col: usize) -> Result<f64, ReportError> {
        self.optional(row, col)?.ok_or_else(|| ReportError::Format {
            file: self.name.clone(),
            message: format!(
                "line {}, column `{}`: a number is required",
                row.0, self.header[self.index[col]]
            ),
        })
    }

    fn optional(&self, row: &(usize, Vec<String>), col: usize) -> Result<Option<f64>, ReportError> {
        let f = self.field(row, col)?;
        if f.is_empty() {
            return Ok(None);
        }
        f.parse::<f64>().map(Some).map_err(|_| ReportError::Format {
            file: self.name.clone(),
            message: format!(
                "line {}, column `{}`: `{f}` is not a number",
                row.0, self.header[self.index[col]]
            ),
        })
    }

    /// `mean,sd,ci_low,ci_high,n` starting at column `col`.
    fn stat(&self, row: &(usize, Vec<String>), col: usize) -> Result<Stat, ReportError> {
        Ok(Stat {
            mean: self.number(row, col)?,
            sd: self.optional(row, col + 1)?,
            ci_low: self.optional(row, col + 2)?,
            ci_high: self.optional(row, col + 3)?,
            n: self.number(row, col + 4)? as u64,
        })
    }
}

const STAT: [&str; 5] = ["mean", "sd", "ci_low", "ci_high", "n"];

fn with_stat<'a>(first: &[&'a str]) -> Vec<&'a str> {
    first.iter().copied().chain(STAT).collect()
}

/// A mean over replications with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: Option<f64>,
    /// Lower end of the 95% interval.
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
    /// Replications.
    pub n: u64,
}

impl Stat {
    /// The interval, when there is one.
    pub fn ci(&self) -> Option<(f64, f64)> {
        Some((self.ci_low?, self.ci_high?))
    }

    /// Whether the interval excludes zero.
    pub fn excludes_zero(&self) -> bool {
        self.ci().is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0)
    }
}

/// One scenario's run: `yearly.csv`, `summary.csv`, `causes.csv` and, when there,
/// its manifest and resolved scenario.
#[derive(Debug, Clone)]
pub struct RunData {
    /// Scenario name.
    pub name: String,
    /// Calendar years.
    pub years: Vec<i32>,
    /// `(metric, year, stat)` in file order.
    pub yearly: Vec<(String, i32, Stat)>,
    /// Summary metrics.
    pub summary: BTreeMap<String, Stat>,
    /// `(year, cause, mean returns)`.
    pub causes: Vec<(i32, String, f64)>,
    /// The resolved scenario.
    pub scenario: Option<toml::Table>,
    /// The run's manifest.
    pub manifest: Option<serde_json::Value>,
}

impl RunData {
    /// Read the run files under `prefix` (`""` or `name/`).
    pub fn read(files: &Files, prefix: &str) -> Result<RunData, ReportError> {
        let yearly_t = files.csv(
            &format!("{prefix}yearly.csv"),
            &with_stat(&["scenario", "year", "metric"]),
        )?;
        let mut name = prefix.trim_end_matches('/').to_string();
        let mut yearly = Vec::new();
        let mut years = Vec::new();
        for row in &yearly_t.rows {
            if name.is_empty() {
                name = yearly_t.field(row, 0)?.to_string();
            }
            let year = yearly_t.number(row, 1)? as i32;
            if !years.contains(&year) {
                years.push(year);
            }
            let metric = yearly_t.field(row, 2)?.to_string();
            yearly.push((metric, year, yearly_t.stat(row, 3)?));
        }
        let summary_t = files.csv(
            &format!("{prefix}summary.csv"),
            &with_stat(&["scenario", "metric"]),
        )?;
        let mut summary = BTreeMap::new();
        for row in &summary_t.rows {
            let metric = summary_t.field(row, 1)?.to_string();
            summary.insert(metric, summary_t.stat(row, 2)?);
        }
        let causes_t = files.csv(
            &format!("{prefix}causes.csv"),
            &["scenario", "year", "cause", "returns_mean"],
        )?;
        let mut causes = Vec::new();
        for row in &causes_t.rows {
            causes.push((
                causes_t.number(row, 1)? as i32,
                causes_t.field(row, 2)?.to_string(),
                causes_t.number(row, 3)?,
            ));
        }
        Ok(RunData {
            name,
            years,
            yearly,
            summary,
            causes,
            scenario: files.toml(&format!("{prefix}scenario.toml"))?,
            manifest: files.json(&format!("{prefix}manifest.json"))?,
        })
    }

    /// A yearly metric's figures by year.
    pub fn yearly_of<'a>(&'a self, metric: &'a str) -> impl Iterator<Item = (i32, Stat)> + 'a {
        self.yearly
            .iter()
            .filter(move |(m, _, _)| m == metric)
            .map(|(_, y, s)| (*y, *s))
    }

    /// One yearly figure.
    pub fn yearly_at(&self, metric: &str, year: i32) -> Option<Stat> {
        self.yearly_of(metric)
            .find(|(y, _)| *y == year)
            .map(|(_, s)| s)
    }

    /// Yearly metric names in file order.
    pub fn yearly_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (m, _, _) in &self.yearly {
            if !out.contains(m) {
                out.push(m.clone());
            }
        }
        out
    }

    /// Causes in file order.
    pub fn cause_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, c, _) in &self.causes {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }

    /// Mean returns of a cause in a year.
    pub fn cause_returns(&self, year: i32, cause: &str) -> f64 {
        self.causes
            .iter()
            .filter(|(y, c, _)| *y == year && c == cause)
            .map(|(_, _, v)| v)
            .sum()
    }

    /// The scenario's description, from its resolved file.
    pub fn description(&self) -> Option<String> {
        description(self.scenario.as_ref())
    }
}

/// The `description` of a resolved scenario file, when there is one.
pub fn description(scenario: Option<&toml::Table>) -> Option<String> {
    scenario?.get("description")?.as_str().map(str::to_string)
}

/// A row of `comparison.csv`.
#[derive(Debug, Clone)]
pub struct CompareRow {
    /// Baseline name.
    pub baseline: String,
    /// Variant name.
    pub scenario: String,
    /// Metric.
    pub metric: String,
    /// Baseline mean (empty for ratios such as `returns_averted_per_million`).
    pub base_mean: Option<f64>,
    /// Variant mean.
    pub scenario_mean: Option<f64>,
    /// The difference, variant minus baseline, with its interval.
    pub diff: Stat,
    /// p-value of the difference.
    pub p_value: Option<f64>,
}

/// `comparison.csv`.
pub fn comparison(files: &Files) -> Result<Vec<CompareRow>, ReportError> {
    let t = files.csv(
        "comparison.csv",
        &[
            "baseline",
            "scenario",
            "metric",
            "base_mean",
            "scenario_mean",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
            "p_value",
            "n",
        ],
    )?;
    let mut out = Vec::new();
    for row in &t.rows {
        // A ratio with nothing averted (cost per return averted) is left empty: there
        // is no difference to show.
        let Some(mean) = t.optional(row, 5)? else {
            continue;
        };
        out.push(CompareRow {
            baseline: t.field(row, 0)?.into(),
            scenario: t.field(row, 1)?.into(),
            metric: t.field(row, 2)?.into(),
            base_mean: t.optional(row, 3)?,
            scenario_mean: t.optional(row, 4)?,
            diff: Stat {
                mean,
                sd: None,
                ci_low: t.optional(row, 6)?,
                ci_high: t.optional(row, 7)?,
                n: t.number(row, 9)? as u64,
            },
            p_value: t.optional(row, 8)?,
        });
    }
    Ok(out)
}

/// One point of a sweep.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// Point number.
    pub index: usize,
    /// The varied keys' values, as written.
    pub values: Vec<String>,
    /// Summary metrics at this point.
    pub metrics: BTreeMap<String, Stat>,
}

/// `sweep.csv`.
#[derive(Debug, Clone)]
pub struct SweepData {
    /// The varied keys.
    pub keys: Vec<String>,
    /// Points in order.
    pub points: Vec<SweepPoint>,
}

/// Read `sweep.csv`.
pub fn sweep(files: &Files) -> Result<SweepData, ReportError> {
    let t = files.csv("sweep.csv", &with_stat(&["point", "metric"]))?;
    let keys: Vec<String> = t.header[t.index[0] + 1..t.index[1]].to_vec();
    if keys.is_empty() {
        return Err(ReportError::Format {
            file: "sweep.csv".into(),
            message: "names no varied key between `point` and `metric`".into(),
        });
    }
    let mut points: Vec<SweepPoint> = Vec::new();
    for row in &t.rows {
        let index = t.number(row, 0)? as usize;
        let values = row.1[t.index[0] + 1..t.index[1]].to_vec();
        let m = t.field(row, 1)?.to_string();
        let stat = t.stat(row, 2)?;
        match points.iter_mut().find(|p| p.index == index) {
            Some(p) => {
                p.metrics.insert(m, stat);
            }
            None => points.push(SweepPoint {
                index,
                values,
                metrics: BTreeMap::from([(m, stat)]),
            }),
        }
    }
    Ok(SweepData { keys, points })
}

/// A row of `indices.csv`.
#[derive(Debug, Clone)]
pub struct IndexRow {
    /// Factor key.
    pub factor: String,
    /// Method name.
    pub method: String,
    /// Index name.
    pub index: String,
    /// Value (`mean`) and bootstrap interval.
    pub stat: Stat,
}

/// Read `indices.csv`.
pub fn indices(files: &Files) -> Result<Vec<IndexRow>, ReportError> {
    let t = files.csv(
        "indices.csv",
        &["factor", "method", "index", "value", "ci_low", "ci_high"],
    )?;
    let mut out = Vec::new();
    for row in &t.rows {
        out.push(IndexRow {
            factor: t.field(row, 0)?.into(),
            method: t.field(row, 1)?.into(),
            index: t.field(row, 2)?.into(),
            stat: Stat {
                mean: t.number(row, 3)?,
                sd: None,
                ci_low: t.optional(row, 4)?,
                ci_high: t.optional(row, 5)?,
                n: 0,
            },
        });
    }
    Ok(out)
}
