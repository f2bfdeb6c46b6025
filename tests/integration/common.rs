//! Shared helpers.

use std::path::{Path, PathBuf};

/// The `povsim` binary.
pub fn povsim() -> assert_cmd::Command {
    assert_cmd::cargo_bin_cmd!("povsim")
}

/// A bundled scenario file.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Small sizes for fast runs.
pub const SMALL: [&str; 6] = ["--households", "800", "--replications", "3", "--years", "4"];

/// Read a file to a string.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Write a scenario file in `dir` and return its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
