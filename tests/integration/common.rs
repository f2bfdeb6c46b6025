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

/// `povsim run` at the small sizes into `dir/run`, quietly; returns the output folder.
pub fn small_run(dir: &Path) -> PathBuf {
    let out = dir.join("run");
    povsim()
        .arg("run")
        .args(SMALL)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

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

/// The variants of the bundled Jingtai study.
pub const VARIANTS: [&str; 6] = [
    "monitoring",
    "industry",
    "social_security",
    "motivation",
    "combined",
    "transition_ends",
];

/// Run `cmd`, require success, and return its standard output.
pub fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// Start `povsim ARGS --out OUT`, send SIGINT after `after_ms`, and return its exit
/// code and standard error.
#[cfg(unix)]
pub fn interrupted(args: &[&str], out: &Path, after_ms: u64) -> (Option<i32>, String) {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("povsim"))
        .args(args)
        .arg("--out")
        .arg(out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(after_ms));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let result = child.wait_with_output().unwrap();
    (
        result.status.code(),
        String::from_utf8_lossy(&result.stderr).into_owned(),
    )
}

/// Skip a check that needs something this machine lacks, saying so on the terminal:
/// the line is written to stderr directly, not through `eprintln!`, which the test
/// harness captures and hides for a passing test, so a skip never looks like a pass.
/// Under `require` (set by `scripts/test.sh`), the missing thing fails the test instead.
pub fn skip(require: &str, check: &str, why: &str) {
    use std::io::Write;
    assert!(
        std::env::var_os(require).is_none(),
        "{check}: {require} is set, but {why}"
    );
    std::io::stderr()
        .write_all(format!("skipped: {check}: {why}\n").as_bytes())
        .ok();
}
