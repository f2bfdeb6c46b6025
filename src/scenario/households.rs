//! A researcher's own households: the CSV that `population.source` names.
//!
//! Each row gives a household's observed state. What surveys do not observe — the
//! permanent and persistent income components, which jobs are held, dibao access and
//! program enrolment — is drawn from the household's own stream exactly as for a
//! synthetic household, so a loaded population keeps common random numbers.

use std::path::Path;

use serde::Deserialize;

use super::error::ScenarioError;

/// One CSV row. Column names are the field names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdRow {
    /// Village index, 0-based, below `simulation.villages`.
    pub village: u32,
    /// Persons.
    pub size: u8,
    /// Working-age able-bodied adults.
    pub labour: u8,
    /// Members of pension age.
    pub elderly: u8,
    /// Head's age.
    pub head_age: u8,
    /// Years of schooling of the working members.
    pub schooling: f64,
    /// Chronically ill members.
    pub chronic: u8,
    /// Disabled members.
    pub disabled: u8,
    /// Cultivated land (mu).
    pub land: f64,
    /// Irrigated share of the land.
    pub irrigated_share: f64,
    /// Productive assets (CNY).
    pub assets: f64,
    /// Savings (CNY).
    pub savings: f64,
    /// Debt (CNY).
    pub debt: f64,
    /// `lifted`, `marginal` or `other`.
    pub group: String,
    /// Motivation in [0, 1].
    pub motivation: f64,
    /// Enrolled in basic medical insurance.
    pub medical_insured: bool,
    /// Buys agricultural insurance.
    pub agri_insured: bool,
}

/// The column names, in the documented order.
pub const COLUMNS: [&str; 17] = [
    "village",
    "size",
    "labour",
    "elderly",
    "head_age",
    "schooling",
    "chronic",
    "disabled",
    "land",
    "irrigated_share",
    "assets",
    "savings",
    "debt",
    "group",
    "motivation",
    "medical_insured",
    "agri_insured",
];

/// Read and check a households CSV. `villages` bounds the village index.
pub fn load(path: &Path, villages: u32) -> Result<Vec<HouseholdRow>, ScenarioError> {
    let fail = |line: u64, message: String| ScenarioError::Households {
        path: path.to_path_buf(),
        line,
        message,
    };
    let data: Vec<u8> = match super::bundled(path) {
        Some(text) => text.as_bytes().to_vec(),
        None => std::fs::read(path).map_err(|e| fail(0, format!("cannot read the file: {e}")))?,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| fail(1, e.to_string()))?
        .clone();
    for h in headers.iter() {
        if !COLUMNS.contains(&h) {
            let hint = super::tree::closest(h, COLUMNS)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            return Err(fail(1, format!("unknown column `{h}`{hint}")));
        }
    }
    for c in COLUMNS {
        if !headers.iter().any(|h| h == c) {
            return Err(fail(
                1,
                format!(
                    "missing column `{c}`; the columns are {}",
                    COLUMNS.join(",")
                ),
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.deserialize::<HouseholdRow>() {
        let row = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            fail(line, e.to_string())
        })?;
        let line = rows.len() as u64 + 2;
        check(&row, villages).map_err(|m| fail(line, m))?;
        rows.push(row);
        if rows.len() as u64 > super::validate::MAX_HOUSEHOLDS {
            return Err(fail(line, "too many households".into()));
        }
    }
    if rows.is_empty() {
        return Err(fail(1, "the file has no households".into()));
    }
    Ok(rows)
}

fn check(r: &HouseholdRow, villages: u32) -> Result<(), String> {
    if r.village >= villages {
        return Err(format!(
            "`village` = {}: must be below simulation.villages ({villages})",
            r.village
        ));
    }
    if r.size == 0 {
        return Err("`size` = 0: a household has at least one person".into());
    }
    for (name, v) in [
        ("labour", r.labour),
        ("elderly", r.elderly),
        ("chronic", r.chronic),
        ("disabled", r.disabled),
    ] {
        if v > r.size {
            return Err(format!("`{name}` = {v}: cannot exceed `size` = {}", r.size));
        }
    }
    for (name, v, lo, hi) in [
        ("schooling", r.schooling, 0.0, 25.0),
        ("land", r.land, 0.0, 1e6),
        ("irrigated_share", r.irrigated_share, 0.0, 1.0),
        ("assets", r.assets, 0.0, 1e12),
        ("savings", r.savings, 0.0, 1e12),
        ("debt", r.debt, 0.0, 1e12),
        ("motivation", r.motivation, 0.0, 1.0),
    ] {
        if !(v.is_finite() && v >= lo && v <= hi) {
            return Err(format!("`{name}` = {v}: must be in [{lo}, {hi}]"));
        }
    }
    if !["lifted", "marginal", "other"].contains(&r.group.as_str()) {
        return Err(format!(
            "`group` = {:?}: must be lifted, marginal or other",
            r.group
        ));
    }
    Ok(())
}
