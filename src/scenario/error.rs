//! Errors of scenario loading: each names the file, the line, the key and the fix.

use std::fmt;
use std::path::PathBuf;

/// Where a value came from: a file and line, a command-line flag, or the built-in baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// A file path as the user gave it, `--set`, a flag such as `--households`, or
    /// `baseline (built-in)`.
    pub source: String,
    /// 1-based line, or 0 when the source has no lines.
    pub line: usize,
}

impl Origin {
    /// An origin on a line of a file.
    pub fn line(source: impl Into<String>, line: usize) -> Self {
        Origin {
            source: source.into(),
            line,
        }
    }

    /// An origin without a line, such as a command-line flag.
    pub fn flag(source: impl Into<String>) -> Self {
        Origin::line(source, 0)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}", self.source, self.line)
        } else {
            write!(f, "{}", self.source)
        }
    }
}

/// Everything that can be wrong with a scenario.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file cannot be read.
    #[error("cannot read scenario file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{}: the file is not UTF-8 text; a scenario must be a TOML text file", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// The file sets nothing.
    #[error("{}: the file is empty: it sets no parameter; to run the baseline give no file, or start from `extends = \"baseline.toml\"`", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file is larger than any scenario could be.
    #[error("{}: the file is {size} bytes; a scenario file is at most {limit} bytes, is this the right file?", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// TOML syntax, including duplicate keys.
    #[error("{at}: invalid TOML: {message}")]
    Syntax {
        /// Where.
        at: Origin,
        /// The parser's message.
        message: String,
    },
    /// A key that no parameter has.
    #[error("{at}: unknown key `{key}`{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_else(|| "; see `povsim validate` of the baseline for every key".into()))]
    UnknownKey {
        /// Where.
        at: Origin,
        /// The dotted key.
        key: String,
        /// The closest valid key.
        suggestion: Option<String>,
    },
    /// A value of the wrong TOML type.
    #[error("{at}: `{key}` = {found}: expected {expected}")]
    WrongType {
        /// Where.
        at: Origin,
        /// The dotted key.
        key: String,
        /// What is allowed.
        expected: String,
        /// What was given.
        found: String,
    },
    /// A value outside its range.
    #[error("{at}: `{key}` = {value}: {rule}")]
    OutOfRange {
        /// Where.
        at: Origin,
        /// The dotted key.
        key: String,
        /// The value given.
        value: String,
        /// What would be valid.
        rule: String,
    },
    /// A new industry program or hazard without every field.
    #[error("{at}: {what} `{name}` is new, so it must set every field; missing: {missing}")]
    IncompleteEntry {
        /// Where the entry is first defined.
        at: Origin,
        /// What the entry is: "program" or "hazard".
        what: &'static str,
        /// The entry's name.
        name: String,
        /// The missing field names.
        missing: String,
    },
    /// `extends` names a file that cannot be read.
    #[error("{at}: `extends` = \"{target}\": cannot read {}: {reason}; the path is relative to the file that extends it", resolved.display())]
    ExtendsMissing {
        /// Where.
        at: Origin,
        /// The value given.
        target: String,
        /// The path it resolved to.
        resolved: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// `extends` chains that loop.
    #[error("`extends` forms a cycle: {chain}; remove one of these `extends` lines")]
    ExtendsCycle {
        /// The files in the loop.
        chain: String,
    },
    /// Too long an `extends` chain.
    #[error("{at}: `extends` chain deeper than {limit} files; flatten the chain")]
    ExtendsTooDeep {
        /// Where.
        at: Origin,
        /// The limit.
        limit: usize,
    },
    /// A households CSV with a problem.
    #[error("{}:{line}: {message} (households file named by `population.source`)", path.display())]
    Households {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line, 0 for the whole file.
        line: u64,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// A `--set` argument that is not `key=value`.
    #[error("--set {arg}: expected KEY=VALUE, e.g. --set policy.monitoring.detection_rate=0.9")]
    BadSet {
        /// The argument.
        arg: String,
    },
}
