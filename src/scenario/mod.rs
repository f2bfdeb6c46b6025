//! What to simulate: scenario files, their `extends` chains, `--set` overrides and
//! events, resolved into one validated [`Scenario`].
//!
//! Two stages, as in ripgrep's low- and high-level arguments: [`tree`] parses TOML
//! into flat maps that remember file and line; this module merges them over the
//! embedded baseline (the schema: every key it has is a parameter, with its default),
//! checks keys and types, deserializes into [`Params`] and checks ranges
//! (`validate`). The engine only ever sees a [`Scenario`].

pub mod error;
pub mod households;
pub mod params;
pub mod tree;
pub mod units;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Value;

pub use error::{Origin, ScenarioError};
pub use params::Params;
use tree::{Flat, Leaf, RawFile};
pub use validate::{MAX_BURN_IN_YEARS, MAX_YEARS};

/// The bundled baseline, the default of every parameter.
pub const BASELINE_TOML: &str = include_str!("../../scenarios/baseline.toml");

/// Prefix of the bundled files embedded in the binary: `builtin:monitoring.toml`.
pub const BUILTIN: &str = "builtin:";

/// The bundled scenario and study files, embedded so that they work from any directory.
pub const BUNDLED: [(&str, &str); 16] = [
    ("baseline.toml", BASELINE_TOML),
    ("targets.toml", include_str!("../../scenarios/targets.toml")),
    (
        "baseline_factors.toml",
        include_str!("../../scenarios/baseline_factors.toml"),
    ),
    (
        "monitoring.toml",
        include_str!("../../scenarios/monitoring.toml"),
    ),
    (
        "industry.toml",
        include_str!("../../scenarios/industry.toml"),
    ),
    (
        "social_security.toml",
        include_str!("../../scenarios/social_security.toml"),
    ),
    (
        "motivation.toml",
        include_str!("../../scenarios/motivation.toml"),
    ),
    (
        "combined.toml",
        include_str!("../../scenarios/combined.toml"),
    ),
    (
        "transition_ends.toml",
        include_str!("../../scenarios/transition_ends.toml"),
    ),
    (
        "scale_limit.toml",
        include_str!("../../scenarios/scale_limit.toml"),
    ),
    (
        "calibration.toml",
        include_str!("../../scenarios/calibration.toml"),
    ),
    (
        "survey_example.toml",
        include_str!("../../scenarios/survey_example.toml"),
    ),
    (
        "households_example.csv",
        include_str!("../../scenarios/households_example.csv"),
    ),
    (
        "jingtai_study.toml",
        include_str!("../../scenarios/jingtai_study.toml"),
    ),
    ("factors.toml", include_str!("../../scenarios/factors.toml")),
    (
        "calibration_factors.toml",
        include_str!("../../scenarios/calibration_factors.toml"),
    ),
];

/// The embedded text of `builtin:NAME`, if `path` names one.
pub fn bundled(path: &Path) -> Option<&'static str> {
    let name = path.to_str()?.strip_prefix(BUILTIN)?;
    BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Resolve `target` as written in the file at `from`: relative to that file's folder,
/// and inside the bundled files for a bundled file.
pub fn relative_to(from: &Path, target: &str) -> PathBuf {
    if from.to_str().is_some_and(|p| p.starts_with(BUILTIN)) && !Path::new(target).is_absolute() {
        return PathBuf::from(format!("{BUILTIN}{target}"));
    }
    from.parent().unwrap_or(Path::new(".")).join(target)
}

/// A file's name without folder and extension (and without `builtin:`).
pub fn stem(path: &Path) -> String {
    let s = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    s.strip_prefix(BUILTIN).map(str::to_string).unwrap_or(s)
}
pub(crate) const BASELINE_SOURCE: &str = "baseline (built-in)";
/// Tables of named entries, each a scenario can add to: (the keys' prefix, what an
/// entry is called, the baseline entry whose fields every entry must have).
const FAMILIES: [(&str, &str, &str); 2] = [
    ("policy.industry.programs.", "program", "goji"),
    ("shocks.hazards.", "hazard", "drought"),
];
#[cfg(test)]
const TEMPLATE_PROGRAM: &str = FAMILIES[0].2;
/// The largest scenario file read: far above any real one, well below harm.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
const MAX_EXTENDS_DEPTH: usize = 32;

/// One parameter change from a year on.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// First calendar year of the change.
    pub year: i32,
    /// Years it lasts; `None` to the end of the horizon.
    pub duration: Option<u32>,
    /// What it stands for.
    pub description: String,
    /// Dotted key to new value.
    pub set: BTreeMap<String, Value>,
}

impl Event {
    /// The event as a manifest and a note name it: its year, and what it stands for.
    pub fn label(&self) -> String {
        if self.description.is_empty() {
            format!("{}", self.year)
        } else {
            format!("{} ({})", self.year, self.description)
        }
    }

    /// Whether the event is in force in `year`.
    pub fn active(&self, year: i32) -> bool {
        year >= self.year
            && self
                .duration
                .is_none_or(|d| i64::from(year) < i64::from(self.year) + i64::from(d))
    }
}

/// A validated, fully resolved scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name, used for output folders and in every CSV row.
    pub name: String,
    /// One line on what it represents.
    pub description: String,
    /// The parameters before any event.
    pub params: Params,
    /// The events, in file order.
    pub events: Vec<Event>,
    /// Events after a horizon that the command line shortened (`--years`): not
    /// reached by this run, and reported rather than refused. An event outside a
    /// horizon that the files themselves set is an error.
    pub unreached: Vec<Event>,
    /// The parameters in force in each simulated year (index 0 is `start_year`).
    pub yearly: Vec<Params>,
    /// Households loaded from `population.source`, if it names a file.
    pub households: Option<Arc<Vec<households::HouseholdRow>>>,
    values: BTreeMap<String, Value>,
}

/// Where a scenario comes from, and what the command line changes.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// A scenario file, or `None` for the built-in baseline.
    pub path: Option<PathBuf>,
    /// Overrides in order; each is (key, value text, the flag that gave it).
    pub overrides: Vec<(String, String, String)>,
    /// Events added after the files' own, as a program builds them (the classroom's
    /// one-off events), checked as a file's events are.
    pub events: Vec<AddedEvent>,
}

/// An event a program adds to a scenario ([`Source::event`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AddedEvent {
    /// First calendar year.
    pub year: i32,
    /// Years it lasts; `None` to the end of the horizon.
    pub duration: Option<u32>,
    /// What it stands for.
    pub description: String,
    /// `KEY=VALUE` changes, the value in TOML.
    pub set: Vec<String>,
    /// Who added it, as errors name it.
    pub origin: String,
}

impl Source {
    /// The built-in baseline or a file.
    pub fn new(path: Option<PathBuf>) -> Self {
        Source {
            path,
            overrides: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Add a `--set KEY=VALUE` argument.
    pub fn set(self, arg: &str) -> Result<Self, ScenarioError> {
        self.set_from(arg, "--set")
    }

    /// Add a `KEY=VALUE` override that `origin` gave (how errors name it, such as
    /// `--set` on the command line or `set=` in Python).
    pub fn set_from(mut self, arg: &str, origin: &str) -> Result<Self, ScenarioError> {
        let (key, leaf) = tree::parse_set(arg, origin)?;
        self.overrides
            .push((key, value_text(&leaf.value), origin.into()));
        Ok(self)
    }

    /// Add an override from a dedicated flag, such as `--households 500`.
    pub fn flag(mut self, key: &str, value: impl ToString, flag: &str) -> Self {
        self.overrides
            .push((key.into(), value.to_string(), flag.into()));
        self
    }

    /// Add an event after the files' own.
    pub fn event(mut self, event: AddedEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Load, merge, check and resolve.
    pub fn load(&self) -> Result<Scenario, ScenarioError> {
        let baseline = tree::parse_file(BASELINE_SOURCE, BASELINE_TOML)?;
        let schema = Schema::new(&params_of(&baseline.values)?);
        let mut chain = Vec::new();
        let (merged, events, top) = match &self.path {
            None => (baseline.values.clone(), Vec::new(), baseline.clone()),
            Some(path) => {
                let (values, events, top) =
                    load_chain(path, &path.display().to_string(), &mut chain, None)?;
                (values, events, top)
            }
        };
        let mut values = baseline.values.clone();
        schema.check(&merged)?;
        values.extend(merged);
        for (key, text, flag) in &self.overrides {
            let (key, leaf) = tree::parse_set(&format!("{key}={text}"), flag)?;
            let one = Flat::from([(key.clone(), leaf.clone())]);
            schema.check(&one)?;
            values.insert(key, leaf);
        }
        schema.check_entries_complete(&values)?;
        let mut events = events;
        for added in &self.events {
            let at = Origin::flag(&added.origin);
            let mut set = Flat::new();
            for arg in &added.set {
                let (key, leaf) = tree::parse_set(arg, &added.origin)?;
                set.insert(key, leaf);
            }
            let leaf = |v: i64| tree::Leaf {
                value: Value::Integer(v),
                origin: at.clone(),
            };
            events.push(tree::RawEvent {
                year: leaf(i64::from(added.year)),
                duration: added.duration.map(|d| leaf(i64::from(d))),
                description: added.description.clone(),
                set,
                origin: at.clone(),
            });
        }
        let rows = load_households(&mut values)?;
        let name = top.name.clone().unwrap_or_else(|| match &self.path {
            Some(p) => stem(p),
            None => "baseline".into(),
        });
        let description = top.description.clone().unwrap_or_default();
        let mut scenario = resolve(name, description, values, events, &schema)?;
        scenario.households = rows.map(Arc::new);
        Ok(scenario)
    }
}

/// Resolve `population.source` against the file that set it, load the CSV, and make
/// `simulation.households` its number of rows.
fn load_households(
    values: &mut Flat,
) -> Result<Option<Vec<households::HouseholdRow>>, ScenarioError> {
    let Some(leaf) = values.get("population.source").cloned() else {
        return Ok(None);
    };
    let Value::String(raw) = &leaf.value else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let from_file = leaf.origin.line > 0 && leaf.origin.source != BASELINE_SOURCE;
    let path = if from_file {
        relative_to(Path::new(&leaf.origin.source), raw)
    } else {
        PathBuf::from(raw)
    };
    let path = path.canonicalize().unwrap_or(path);
    let villages = match values.get("simulation.villages").map(|l| &l.value) {
        Some(Value::Integer(v)) if *v >= 1 => u32::try_from(*v).unwrap_or(u32::MAX),
        _ => 1,
    };
    let rows = households::load(&path, villages)?;
    values.insert(
        "population.source".into(),
        Leaf {
            value: Value::String(path.display().to_string()),
            origin: leaf.origin.clone(),
        },
    );
    values.insert(
        "simulation.households".into(),
        Leaf {
            value: Value::Integer(rows.len() as i64),
            origin: leaf.origin,
        },
    );
    Ok(Some(rows))
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Read `path` and everything it extends. Returns the merged values (parents first),
/// the events of the whole chain (parents first), and the top file.
fn load_chain(
    path: &Path,
    shown: &str,
    chain: &mut Vec<PathBuf>,
    from: Option<&Leaf>,
) -> Result<(Flat, Vec<tree::RawEvent>, RawFile), ScenarioError> {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if chain.contains(&canonical) {
        let mut names: Vec<String> = chain.iter().map(|p| p.display().to_string()).collect();
        names.push(canonical.display().to_string());
        return Err(ScenarioError::ExtendsCycle {
            chain: names.join(" -> "),
        });
    }
    if chain.len() >= MAX_EXTENDS_DEPTH {
        return Err(ScenarioError::ExtendsTooDeep {
            at: from
                .map(|l| l.origin.clone())
                .unwrap_or_else(|| Origin::flag(shown)),
            limit: MAX_EXTENDS_DEPTH,
        });
    }
    chain.push(canonical);
    let text = read_text(path).map_err(|e| match (from, e) {
        (Some(leaf), ScenarioError::Io { source, .. }) => ScenarioError::ExtendsMissing {
            at: leaf.origin.clone(),
            target: value_text(&leaf.value),
            resolved: path.to_path_buf(),
            reason: source.to_string(),
        },
        (_, e) => e,
    })?;
    let file = tree::parse_file(shown, &text)?;
    if file.values.is_empty()
        && file.extends.is_empty()
        && file.events.is_empty()
        && file.name.is_none()
        && file.description.is_none()
    {
        return Err(ScenarioError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut values = Flat::new();
    let mut events: Vec<tree::RawEvent> = Vec::new();
    for leaf in &file.extends {
        let target = value_text(&leaf.value);
        let resolved = relative_to(path, &target);
        let shown = resolved.display().to_string();
        let (v, e, _) = load_chain(&resolved, &shown, chain, Some(leaf))?;
        // A later parent wins, except where its value is inherited from a file that an
        // earlier parent also builds on (a shared ancestor): the earlier parent's own
        // change to that key stands.
        let earlier: BTreeSet<String> = values.values().map(|l| l.origin.source.clone()).collect();
        for (key, leaf) in v {
            if values.contains_key(&key) && earlier.contains(&leaf.origin.source) {
                continue;
            }
            values.insert(key, leaf);
        }
        // Two parents with a common ancestor bring its events once.
        for event in e {
            if !events.iter().any(|x| x.origin == event.origin) {
                events.push(event);
            }
        }
    }
    chain.pop();
    values.extend(file.values.clone());
    events.extend(file.events.clone());
    Ok((values, events, file))
}

/// Read a small TOML file of a fixed shape (a study, factors, a rule case, a plan):
/// errors name the file and line, and `hint` says what the file should hold.
pub fn read_typed<T: serde::de::DeserializeOwned>(
    path: &Path,
    hint: &str,
) -> Result<T, ScenarioError> {
    let text = read_text(path)?;
    toml::from_str(&text).map_err(|e| ScenarioError::Syntax {
        at: Origin::line(
            path.display().to_string(),
            e.span().map_or(0, |s| {
                text[..s.start.min(text.len())].lines().count().max(1)
            }),
        ),
        message: format!("{} ({hint})", e.message()),
    })
}

/// Read a scenario file as text, refusing what cannot be one.
pub fn read_text(path: &Path) -> Result<String, ScenarioError> {
    if let Some(text) = bundled(path) {
        return Ok(text.to_string());
    }
    let io = |source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("it is a directory, not a file")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|_| ScenarioError::NotText {
        path: path.to_path_buf(),
    })
}

/// The set of valid keys and their types, taken from the baseline.
struct Schema {
    keys: BTreeMap<String, Value>,
    /// For each of [`FAMILIES`], the fields of its template entry and their types.
    family_fields: [BTreeMap<String, Value>; FAMILIES.len()],
}

impl Schema {
    /// Keys and types come from the typed baseline, so that `base = 4000` in the
    /// baseline file still makes `poverty_line.base` a float.
    fn new(baseline: &Params) -> Self {
        let mut keys = BTreeMap::new();
        if let Ok(value) = Value::try_from(baseline) {
            tree::flatten_value("", &value, &mut keys);
        }
        let family_fields = FAMILIES.map(|(family, _, template)| {
            let prefix = format!("{family}{template}.");
            keys.iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|f| (f.to_string(), v.clone())))
                .collect()
        });
        Schema {
            keys,
            family_fields,
        }
    }

    /// The default value that decides `key`'s type, if `key` is a parameter.
    fn expected(&self, key: &str) -> Option<&Value> {
        if let Some(v) = self.keys.get(key) {
            return Some(v);
        }
        FAMILIES
            .iter()
            .zip(&self.family_fields)
            .find_map(|((family, ..), fields)| {
                let (_, field) = key.strip_prefix(family)?.split_once('.')?;
                fields.get(field)
            })
    }

    fn check(&self, values: &Flat) -> Result<(), ScenarioError> {
        for (key, leaf) in values {
            let Some(expected) = self.expected(key) else {
                return Err(self.unknown(key, leaf));
            };
            check_type(key, expected, leaf)?;
        }
        Ok(())
    }

    fn unknown(&self, key: &str, leaf: &Leaf) -> ScenarioError {
        let prefix = format!("{key}.");
        if self.keys.keys().any(|k| k.starts_with(&prefix)) {
            return ScenarioError::WrongType {
                at: leaf.origin.clone(),
                key: key.into(),
                expected: format!("a table [{key}] of parameters"),
                found: format!("a single value {}", leaf.value),
            };
        }
        // `[a.b.c]` where `a.b.c` is a value: say so rather than "unknown key".
        let mut prefix_end = key.len();
        while let Some(i) = key[..prefix_end].rfind('.') {
            prefix_end = i;
            let head = &key[..i];
            if self.keys.contains_key(head) {
                return ScenarioError::WrongType {
                    at: leaf.origin.clone(),
                    key: head.into(),
                    expected: format!(
                        "a single value, written `{}` = ...",
                        head.rsplit('.').next().unwrap_or(head)
                    ),
                    found: format!("a table holding `{}`", &key[i + 1..]),
                };
            }
        }
        let (parent, last) = key.rsplit_once('.').unwrap_or(("", key));
        let mut siblings: BTreeSet<String> = BTreeSet::new();
        let sibling_prefix = if parent.is_empty() {
            String::new()
        } else {
            format!("{parent}.")
        };
        for k in self.keys.keys() {
            if let Some(rest) = k.strip_prefix(&sibling_prefix) {
                siblings.insert(rest.split('.').next().unwrap_or(rest).to_string());
            }
        }
        for ((family, ..), fields) in FAMILIES.iter().zip(&self.family_fields) {
            if let Some(entry) = parent.strip_prefix(family)
                && !entry.contains('.')
            {
                siblings.extend(fields.keys().cloned());
            }
        }
        // Hazards were `[shocks.NAME]` before they became data.
        let moved = key
            .strip_prefix("shocks.")
            .map(|rest| format!("shocks.hazards.{rest}"))
            .filter(|k| self.keys.contains_key(k));
        let suggestion = moved
            .or_else(|| {
                tree::closest(last, siblings.iter().map(String::as_str))
                    .map(|s| format!("{sibling_prefix}{s}"))
            })
            .or_else(|| tree::closest(key, self.keys.keys().map(String::as_str)));
        ScenarioError::UnknownKey {
            at: leaf.origin.clone(),
            key: key.into(),
            suggestion,
        }
    }

    /// A program or hazard not in the baseline must give every field.
    fn check_entries_complete(&self, values: &Flat) -> Result<(), ScenarioError> {
        for ((family, what, _), template) in FAMILIES.iter().zip(&self.family_fields) {
            let mut entries: BTreeMap<&str, (BTreeSet<&str>, &Origin)> = BTreeMap::new();
            for (key, leaf) in values {
                if let Some((name, field)) =
                    key.strip_prefix(family).and_then(|r| r.split_once('.'))
                {
                    let entry = entries
                        .entry(name)
                        .or_insert((BTreeSet::new(), &leaf.origin));
                    entry.0.insert(field);
                    if leaf.origin.line > 0
                        && (entry.1.line == 0 || leaf.origin.line < entry.1.line)
                    {
                        entry.1 = &leaf.origin;
                    }
                }
            }
            for (name, (fields, origin)) in entries {
                let missing: Vec<&str> = template
                    .keys()
                    .map(String::as_str)
                    .filter(|f| !fields.contains(f))
                    .collect();
                if !missing.is_empty() {
                    return Err(ScenarioError::IncompleteEntry {
                        at: origin.clone(),
                        what,
                        name: name.into(),
                        missing: missing.join(", "),
                    });
                }
            }
        }
        Ok(())
    }
}

fn check_type(key: &str, expected: &Value, leaf: &Leaf) -> Result<(), ScenarioError> {
    let wrong = |what: &str| ScenarioError::WrongType {
        at: leaf.origin.clone(),
        key: key.into(),
        expected: what.into(),
        found: describe(&leaf.value),
    };
    match (expected, &leaf.value) {
        (Value::Float(_), Value::Float(x)) if !x.is_finite() => Err(ScenarioError::OutOfRange {
            at: leaf.origin.clone(),
            key: key.into(),
            value: x.to_string(),
            rule: "must be a finite number".into(),
        }),
        (Value::Float(_), Value::Float(_) | Value::Integer(_)) => Ok(()),
        (Value::Float(_), _) => Err(wrong("a number")),
        (Value::Integer(_), Value::Integer(n)) => {
            if *n < 0 && key != "simulation.start_year" {
                Err(ScenarioError::OutOfRange {
                    at: leaf.origin.clone(),
                    key: key.into(),
                    value: n.to_string(),
                    rule: "must be a whole number >= 0".into(),
                })
            } else {
                Ok(())
            }
        }
        (Value::Integer(_), Value::Float(_)) => {
            Err(wrong("a whole number, without a decimal point"))
        }
        (Value::Integer(_), _) => Err(wrong("a whole number")),
        (Value::Boolean(_), Value::Boolean(_)) => Ok(()),
        (Value::Boolean(_), _) => Err(wrong("true or false")),
        (Value::String(_), Value::String(s)) => match allowed_strings(key) {
            Some(allowed) if !allowed.iter().any(|a| a == s) => Err(ScenarioError::OutOfRange {
                at: leaf.origin.clone(),
                key: key.into(),
                value: format!("{s:?}"),
                rule: format!("must be one of {}", allowed.join(", ")),
            }),
            _ => Ok(()),
        },
        (Value::String(_), _) => Err(wrong("a string in quotes")),
        _ => Err(wrong("a value of the baseline's type")),
    }
}

/// The names a string-valued key accepts, from its enum's serde names; `None` for free
/// text (a file path, a program's name).
fn allowed_strings(key: &str) -> Option<Vec<String>> {
    use params::{Actor, Choice, DibaoMode, NewlyPoor, PanelIncome};
    if key.ends_with(".actor") {
        Some(Actor::names())
    } else if key == "policy.social_security.dibao.mode" {
        Some(DibaoMode::names())
    } else if key == "poverty_line.panel_income" || key == "policy.register.income" {
        Some(PanelIncome::names())
    } else if key == "policy.register.newly_poor" {
        Some(NewlyPoor::names())
    } else {
        None
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("the string {s:?}"),
        Value::Integer(n) => format!("the whole number {n}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        other => format!("a {}", other.type_str()),
    }
}

/// Build typed parameters from a complete flat map, checking ranges.
fn params_of(values: &Flat) -> Result<Params, ScenarioError> {
    let table = tree::unflatten(values.iter().map(|(k, l)| (k, &l.value)));
    // A value its type refuses (a probability above 1, negative money) is named by its
    // dotted key, found from the path serde was at, and by where it was set.
    let params: Params = serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
        let key = e
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => key.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".");
        let rule = e.inner().message().trim().to_string();
        match values.get(&key) {
            Some(leaf) => ScenarioError::OutOfRange {
                at: leaf.origin.clone(),
                key,
                value: value_text(&leaf.value),
                rule,
            },
            None => ScenarioError::Syntax {
                at: Origin::flag("scenario"),
                message: format!("`{key}`: {rule}"),
            },
        }
    })?;
    validate::check(&params, &|key: &str| {
        values
            .get(key)
            .map(|l| l.origin.clone())
            .unwrap_or_else(|| Origin::flag(BASELINE_SOURCE))
    })?;
    Ok(params)
}

fn resolve(
    name: String,
    description: String,
    values: Flat,
    raw_events: Vec<tree::RawEvent>,
    schema: &Schema,
) -> Result<Scenario, ScenarioError> {
    let params = params_of(&values)?;
    let start = params.simulation.start_year;
    let last = i64::from(start) + i64::from(params.simulation.years) - 1;
    // A horizon given on the command line (`--years`, `--set simulation.years=`, or a
    // comparison's baseline horizon for its variants: no file line) may stop before an
    // event of the files: that event is reported as not reached.
    let horizon_from_flag = values
        .get("simulation.years")
        .is_some_and(|l| l.origin.line == 0);
    let mut events = Vec::new();
    let mut unreached = Vec::new();
    for (i, raw) in raw_events.iter().enumerate() {
        let key = format!("events[{i}]");
        let year = match raw.year.value {
            Value::Integer(y) if (i64::from(start)..=last).contains(&y) => y as i32,
            Value::Integer(y) if horizon_from_flag && y > last && y <= i64::from(i32::MAX) => {
                y as i32
            }
            ref v => {
                return Err(ScenarioError::OutOfRange {
                    at: raw.year.origin.clone(),
                    key: format!("{key}.year"),
                    value: v.to_string(),
                    rule: format!(
                        "an event year must be a whole year within the horizon {start}..={last}; move the event or set simulation.years (--years) to reach it"
                    ),
                });
            }
        };
        let duration = match &raw.duration {
            None => None,
            Some(leaf) => match leaf.value {
                Value::Integer(d) if d >= 1 && d <= i64::from(u32::MAX) => Some(d as u32),
                ref v => {
                    return Err(ScenarioError::OutOfRange {
                        at: leaf.origin.clone(),
                        key: format!("{key}.duration"),
                        value: v.to_string(),
                        rule: "a duration is a whole number of years >= 1; leave it out for a permanent change".into(),
                    });
                }
            },
        };
        if raw.set.is_empty() {
            return Err(ScenarioError::OutOfRange {
                at: raw.origin.clone(),
                key: format!("{key}.set"),
                value: "empty".into(),
                rule: "an event must change at least one parameter in its [events.set] table"
                    .into(),
            });
        }
        schema.check(&raw.set)?;
        for (k, leaf) in &raw.set {
            if k.starts_with("simulation.") || k.starts_with("population.") {
                return Err(ScenarioError::OutOfRange {
                    at: leaf.origin.clone(),
                    key: format!("{key}.set.{k}"),
                    value: leaf.value.to_string(),
                    rule: "[simulation] and [population] fix the start of a run and cannot change in an event".into(),
                });
            }
            if !values.contains_key(k) {
                return Err(ScenarioError::UnknownKey {
                    at: leaf.origin.clone(),
                    key: k.clone(),
                    suggestion: None,
                });
            }
        }
        let event = Event {
            year,
            duration,
            description: raw.description.clone(),
            set: raw
                .set
                .iter()
                .map(|(k, l)| (k.clone(), l.value.clone()))
                .collect(),
        };
        if i64::from(year) > last {
            unreached.push(event);
        } else {
            events.push((event, raw.set.clone()));
        }
    }
    let mut yearly = Vec::with_capacity(params.simulation.years as usize);
    for t in 0..params.simulation.years {
        let year = start + t as i32;
        let active: Vec<_> = events.iter().filter(|(e, _)| e.active(year)).collect();
        if active.is_empty() {
            yearly.push(params.clone());
            continue;
        }
        let mut v = values.clone();
        for (_, set) in active {
            v.extend(set.clone());
        }
        yearly.push(params_of(&v)?);
    }
    let values = typed_values(&params);
    Ok(Scenario {
        name,
        description,
        params,
        households: None,
        events: events.into_iter().map(|(e, _)| e).collect(),
        unreached,
        yearly,
        values,
    })
}

/// The parameters as a flat map of typed values.
fn typed_values(params: &Params) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Ok(value) = Value::try_from(params) {
        tree::flatten_value("", &value, &mut out);
    }
    out
}

impl Scenario {
    /// The built-in baseline.
    pub fn baseline() -> Result<Scenario, ScenarioError> {
        Source::new(None).load()
    }

    /// The resolved scenario as TOML: no `extends`, every parameter, every event.
    /// Running it reproduces the run that wrote it. An error, never an empty or partial
    /// text, if the parameters cannot be written as TOML.
    pub fn to_toml(&self) -> Result<String, crate::output::OutputError> {
        let mut out = String::new();
        out.push_str("# Resolved by povsim: every parameter and event of the run.\n");
        out.push_str(&format!("name = {}\n", Value::String(self.name.clone())));
        out.push_str(&format!(
            "description = {}\n\n",
            Value::String(self.description.clone())
        ));
        // Params serializes its sections as TOML tables.
        out.push_str(&toml::to_string(&self.params).map_err(|e| {
            crate::output::OutputError::Serialize {
                what: format!("the resolved scenario `{}`", self.name),
                message: e.to_string(),
            }
        })?);
        for e in &self.events {
            out.push_str("\n[[events]]\n");
            out.push_str(&format!("year = {}\n", e.year));
            if let Some(d) = e.duration {
                out.push_str(&format!("duration = {d}\n"));
            }
            out.push_str(&format!(
                "description = {}\n",
                Value::String(e.description.clone())
            ));
            out.push_str("[events.set]\n");
            for (k, v) in &e.set {
                out.push_str(&format!("{k} = {v}\n"));
            }
        }
        Ok(out)
    }

    /// The resolved value of parameter `key` as a boolean, if it is one.
    pub fn boolean(&self, key: &str) -> Option<bool> {
        self.values.get(key)?.as_bool()
    }

    /// Every resolved parameter key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// The resolved value of parameter `key` as a number, if it is one.
    pub fn number(&self, key: &str) -> Option<f64> {
        let v = self.values.get(key)?;
        v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
    }

    /// Parameters whose values differ from `other`'s, as (key, this value, other value).
    pub fn differences(&self, other: &Scenario) -> Vec<(String, String, String)> {
        let keys: BTreeSet<&String> = self.values.keys().chain(other.values.keys()).collect();
        keys.into_iter()
            .filter(|k| self.values.get(*k) != other.values.get(*k))
            .map(|k| {
                let show = |v: Option<&Value>| v.map(value_text).unwrap_or_else(|| "-".into());
                (
                    k.clone(),
                    show(self.values.get(k)),
                    show(other.values.get(k)),
                )
            })
            .collect()
    }

    /// The same scenario with `replications` replications (precision targeting), so
    /// that its resolved file reproduces the run.
    pub fn set_replications(&mut self, replications: u32) {
        self.params.simulation.replications = replications;
        for p in &mut self.yearly {
            p.simulation.replications = replications;
        }
        self.values.insert(
            "simulation.replications".into(),
            Value::Integer(i64::from(replications)),
        );
    }

    /// Calendar year of simulated year index `t`.
    pub fn year(&self, t: usize) -> i32 {
        self.params.simulation.start_year + t as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_choice_is_serdes_and_every_string_key_is_checked() {
        use params::{Actor, Choice, DibaoMode, NewlyPoor, PanelIncome};
        // Each list is complete: a new variant breaks these matches until ALL has it.
        for a in Actor::ALL {
            match a {
                Actor::Government | Actor::Market | Actor::Society | Actor::Households => {}
            }
            assert_eq!(a.name(), a.file_name());
        }
        for m in <DibaoMode as Choice>::ALL {
            match m {
                DibaoMode::Gap | DibaoMode::Fixed => {}
            }
        }
        for m in <PanelIncome as Choice>::ALL {
            match m {
                PanelIncome::Net | PanelIncome::BeforeMedical => {}
            }
        }
        for m in <NewlyPoor as Choice>::ALL {
            match m {
                NewlyPoor::Register | NewlyPoor::Monitoring => {}
            }
        }
        assert_eq!(<DibaoMode as Choice>::ALL.len(), 2);
        assert_eq!(<PanelIncome as Choice>::ALL.len(), 2);
        assert_eq!(<NewlyPoor as Choice>::ALL.len(), 2);
        assert_eq!(Actor::ALL.len(), 4);
        assert_eq!(DibaoMode::names(), ["gap", "fixed"]);
        assert_eq!(PanelIncome::names(), ["net", "before_medical"]);
        // Every string-valued key of the baseline is an enum with its names, or free
        // text that the loader reads another way.
        let free = ["population.source", "policy.monitoring.enrol_program"];
        let s = Scenario::baseline().unwrap();
        for (key, value) in &s.values {
            if let Value::String(v) = value {
                if free.contains(&key.as_str()) {
                    continue;
                }
                let allowed = allowed_strings(key)
                    .unwrap_or_else(|| panic!("`{key}` is a string without its names"));
                assert!(allowed.contains(v), "{key} = {v:?} not in {allowed:?}");
            }
        }
    }

    #[test]
    fn baseline_is_complete_and_valid() {
        let s = Scenario::baseline().unwrap();
        assert_eq!(s.name, "baseline");
        assert_eq!(s.yearly.len(), s.params.simulation.years as usize);
        assert!(
            s.params
                .policy
                .industry
                .programs
                .contains_key(TEMPLATE_PROGRAM)
        );
    }

    #[test]
    fn resolved_toml_round_trips() {
        let s = Source::new(None)
            .set("policy.monitoring.detection_rate=0.85")
            .unwrap()
            .load()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scenario.toml");
        std::fs::write(&path, s.to_toml().unwrap()).unwrap();
        let again = Source::new(Some(path)).load().unwrap();
        assert_eq!(again.params, s.params);
        assert_eq!(again.name, "baseline");
        assert!(again.differences(&s).is_empty());
    }
}
