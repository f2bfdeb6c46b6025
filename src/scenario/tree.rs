//! The raw stage of configuration: TOML text parsed into flat `dotted.key -> value`
//! maps in which every value remembers the file and line it came from.
//!
//! Flat maps make `extends` chains, `--set` overrides and scenario events one operation
//! (later entries win) and let every later error point at the line that set the value.

use std::collections::BTreeMap;

use toml::Value;
use toml::de::{DeTable, DeValue};

use super::error::{Origin, ScenarioError};

/// One value and where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The TOML value.
    pub value: Value,
    /// Where it was set.
    pub origin: Origin,
}

/// Dotted key to value.
pub type Flat = BTreeMap<String, Leaf>;

/// One `[[events]]` entry before validation.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// First year in which the changes apply.
    pub year: Leaf,
    /// Years for which they apply; none means to the end of the horizon.
    pub duration: Option<Leaf>,
    /// What the event stands for.
    pub description: String,
    /// The parameter changes.
    pub set: Flat,
    /// Where the event starts.
    pub origin: Origin,
}

/// One parsed scenario file.
#[derive(Debug, Clone, Default)]
pub struct RawFile {
    /// `name`, if the file sets it.
    pub name: Option<String>,
    /// `description`, if the file sets it.
    pub description: Option<String>,
    /// `extends`: the files this one builds on, merged in order (later wins).
    pub extends: Vec<Leaf>,
    /// Every other value.
    pub values: Flat,
    /// `[[events]]`.
    pub events: Vec<RawEvent>,
}

/// Maps byte offsets to 1-based line numbers.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// Parse the text of a scenario file named `source` (as the user gave it).
pub fn parse_file(source: &str, text: &str) -> Result<RawFile, ScenarioError> {
    let lines = Lines::new(text);
    let root = DeTable::parse(text).map_err(|e| ScenarioError::Syntax {
        at: Origin::line(source, e.span().map(|s| lines.line(s.start)).unwrap_or(0)),
        message: e.message().trim().to_string(),
    })?;
    let mut file = RawFile::default();
    for (key, value) in root.get_ref().iter() {
        let at = Origin::line(source, lines.line(key.span().start));
        let name = key.get_ref().as_ref();
        match name {
            "name" | "description" => {
                let text = expect_string(name, value.get_ref(), &at)?;
                if name == "name" {
                    check_name(&text, &at)?;
                    file.name = Some(text);
                } else {
                    file.description = Some(text);
                }
            }
            "extends" => {
                // One file, or a list merged in order.
                let items: Vec<&DeValue<'_>> = match value.get_ref() {
                    DeValue::Array(a) => a.iter().map(|v| v.get_ref()).collect(),
                    other => vec![other],
                };
                for item in items {
                    let text = expect_string(name, item, &at)?;
                    file.extends.push(Leaf {
                        value: Value::String(text),
                        origin: at.clone(),
                    });
                }
            }
            "events" => {
                let DeValue::Array(items) = value.get_ref() else {
                    return Err(wrong_type(
                        "events",
                        value.get_ref(),
                        "an array of tables, written [[events]]",
                        at,
                    ));
                };
                for (i, item) in items.iter().enumerate() {
                    let at = Origin::line(source, lines.line(item.span().start));
                    file.events
                        .push(parse_event(source, &lines, i, item.get_ref(), at)?);
                }
            }
            _ => flatten(source, &lines, name, value.get_ref(), at, &mut file.values)?,
        }
    }
    Ok(file)
}

fn check_name(name: &str, at: &Origin) -> Result<(), ScenarioError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ScenarioError::OutOfRange {
            at: at.clone(),
            key: "name".into(),
            value: format!("{name:?}"),
            rule: "a scenario name is a non-empty word of letters, digits, `_` and `-` (it names output folders)".into(),
        })
    }
}

fn parse_event(
    source: &str,
    lines: &Lines,
    index: usize,
    item: &DeValue<'_>,
    at: Origin,
) -> Result<RawEvent, ScenarioError> {
    let key = format!("events[{index}]");
    let DeValue::Table(table) = item else {
        return Err(wrong_type(&key, item, "a table with `year` and `set`", at));
    };
    let mut year = None;
    let mut duration = None;
    let mut description = String::new();
    let mut set = Flat::new();
    for (k, v) in table.iter() {
        let kat = Origin::line(source, lines.line(k.span().start));
        let kname = k.get_ref().as_ref();
        match kname {
            "year" | "duration" => {
                let leaf = Leaf {
                    value: convert(&format!("{key}.{kname}"), v.get_ref(), &kat)?,
                    origin: kat,
                };
                if kname == "year" {
                    year = Some(leaf);
                } else {
                    duration = Some(leaf);
                }
            }
            "description" => description = expect_string("description", v.get_ref(), &kat)?,
            "set" => {
                let DeValue::Table(inner) = v.get_ref() else {
                    return Err(wrong_type(
                        &format!("{key}.set"),
                        v.get_ref(),
                        "a table of parameter changes",
                        kat,
                    ));
                };
                for (ik, iv) in inner.iter() {
                    let iat = Origin::line(source, lines.line(ik.span().start));
                    flatten(source, lines, ik.get_ref(), iv.get_ref(), iat, &mut set)?;
                }
            }
            other => {
                return Err(ScenarioError::UnknownKey {
                    at: kat,
                    key: format!("{key}.{other}"),
                    suggestion: closest(other, ["year", "duration", "description", "set"])
                        .map(|s| format!("{key}.{s}")),
                });
            }
        }
    }
    let year = year.ok_or_else(|| ScenarioError::OutOfRange {
        at: at.clone(),
        key: format!("{key}.year"),
        value: "missing".into(),
        rule: "every event needs `year`, the first year its changes apply".into(),
    })?;
    Ok(RawEvent {
        year,
        duration,
        description,
        set,
        origin: at,
    })
}

fn flatten(
    source: &str,
    lines: &Lines,
    path: &str,
    value: &DeValue<'_>,
    at: Origin,
    out: &mut Flat,
) -> Result<(), ScenarioError> {
    if let DeValue::Table(table) = value {
        for (k, v) in table.iter() {
            let name = k.get_ref().as_ref();
            let kat = Origin::line(source, lines.line(k.span().start));
            if name.contains('.') || name.is_empty() {
                return Err(ScenarioError::OutOfRange {
                    at: kat,
                    key: format!("{path}.\"{name}\""),
                    value: format!("{name:?}"),
                    rule: "a key name may not be empty or contain `.`; write nested keys unquoted, as a.b = 1".into(),
                });
            }
            flatten(
                source,
                lines,
                &format!("{path}.{name}"),
                v.get_ref(),
                kat,
                out,
            )?;
        }
        return Ok(());
    }
    let value = convert(path, value, &at)?;
    out.insert(path.to_string(), Leaf { value, origin: at });
    Ok(())
}

/// Convert a parsed scalar into a plain TOML value.
fn convert(path: &str, value: &DeValue<'_>, at: &Origin) -> Result<Value, ScenarioError> {
    Ok(match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Boolean(b) => Value::Boolean(*b),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => Value::Integer(n),
                Err(_) => {
                    return Err(ScenarioError::OutOfRange {
                        at: at.clone(),
                        key: path.to_string(),
                        value: i.as_str().to_string(),
                        rule: "the number does not fit in a 64-bit integer".into(),
                    });
                }
            }
        }
        DeValue::Float(f) => {
            let text = f.as_str().replace('_', "");
            match text.parse::<f64>() {
                Ok(x) => Value::Float(x),
                Err(_) => {
                    return Err(ScenarioError::Syntax {
                        at: at.clone(),
                        message: format!("`{path}`: cannot read {text:?} as a number"),
                    });
                }
            }
        }
        DeValue::Datetime(d) => Value::Datetime(*d),
        DeValue::Array(_) | DeValue::Table(_) => {
            return Err(wrong_type(path, value, "a single value", at.clone()));
        }
    })
}

fn expect_string(path: &str, value: &DeValue<'_>, at: &Origin) -> Result<String, ScenarioError> {
    match value {
        DeValue::String(s) => Ok(s.to_string()),
        other => Err(wrong_type(path, other, "a string in quotes", at.clone())),
    }
}

fn wrong_type(path: &str, value: &DeValue<'_>, expected: &str, at: Origin) -> ScenarioError {
    ScenarioError::WrongType {
        at,
        key: path.to_string(),
        expected: expected.to_string(),
        found: format!("a {}", value.type_str()),
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely misspelling.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_string())
}

/// Parse one `--set KEY=VALUE` argument. A value that is not valid TOML is taken as a
/// bare string, so that `--set policy.social_security.dibao.mode=fixed` works.
pub fn parse_set(arg: &str, source: &str) -> Result<(String, Leaf), ScenarioError> {
    let Some((key, raw)) = arg.split_once('=') else {
        return Err(ScenarioError::BadSet { arg: arg.into() });
    };
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(ScenarioError::BadSet { arg: arg.into() });
    }
    let raw = raw.trim();
    let at = Origin::flag(source);
    let value = match DeValue::parse(raw) {
        Ok(v) => match v.get_ref() {
            DeValue::Array(_) | DeValue::Table(_) => {
                return Err(wrong_type(key, v.get_ref(), "a single value", at));
            }
            other => convert(key, other, &at)?,
        },
        Err(_) => Value::String(raw.to_string()),
    };
    Ok((key.to_string(), Leaf { value, origin: at }))
}

/// Rebuild a nested TOML table from a flat map.
pub fn unflatten<'a>(entries: impl IntoIterator<Item = (&'a String, &'a Value)>) -> toml::Table {
    let mut root = toml::Table::new();
    for (path, value) in entries {
        let mut table = &mut root;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                table.insert(part.to_string(), value.clone());
            } else {
                let entry = table
                    .entry(part.to_string())
                    .or_insert_with(|| Value::Table(toml::Table::new()));
                table = match entry {
                    Value::Table(t) => t,
                    // Unreachable for schema-checked maps: a key is never both a leaf
                    // and a table. Replace rather than panic.
                    other => {
                        *other = Value::Table(toml::Table::new());
                        let Value::Table(t) = other else {
                            unreachable!()
                        };
                        t
                    }
                };
            }
        }
    }
    root
}

/// Flatten a plain TOML table (used for the serialized resolved scenario).
pub fn flatten_value(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_value(&path, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_with_lines() {
        let text = "name = \"x\"\n[policy.monitoring]\n\ndetection_rate = 0.9\n";
        let f = parse_file("a.toml", text).unwrap();
        let leaf = &f.values["policy.monitoring.detection_rate"];
        assert_eq!(leaf.origin.line, 4);
        assert_eq!(leaf.value, Value::Float(0.9));
        assert_eq!(f.name.as_deref(), Some("x"));
    }

    #[test]
    fn duplicate_key_is_a_syntax_error_with_line() {
        let text = "[a]\nb = 1\nb = 2\n";
        let err = parse_file("a.toml", text).unwrap_err().to_string();
        assert!(err.starts_with("a.toml:3:"), "{err}");
    }

    #[test]
    fn set_parses_numbers_and_bare_strings() {
        let (k, v) = parse_set("a.b=0.5", "--set").unwrap();
        assert_eq!(k, "a.b");
        assert_eq!(v.value, Value::Float(0.5));
        let (_, v) = parse_set("a.mode=fixed", "--set").unwrap();
        assert_eq!(v.value, Value::String("fixed".into()));
        assert!(parse_set("novalue", "--set").is_err());
        assert!(parse_set("a..b=1", "--set").is_err());
    }

    #[test]
    fn closest_finds_typos_only() {
        let c = ["detection_rate", "response_lag"];
        assert_eq!(
            closest("detecton_rate", c).as_deref(),
            Some("detection_rate")
        );
        assert_eq!(closest("budget", c), None);
    }

    #[test]
    fn events_parse() {
        let text = "[[events]]\nyear = 2026\nduration = 1\n[events.set]\npolicy.monitoring.enabled = false\n";
        let f = parse_file("a.toml", text).unwrap();
        assert_eq!(f.events.len(), 1);
        assert!(f.events[0].set.contains_key("policy.monitoring.enabled"));
    }
}
