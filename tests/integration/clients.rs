//! Real clients against povsim: SALib's analysers on povsim's own designs and results
//! must agree with povsim's indices (tests/clients/salib_check.py), the check that the
//! estimators are right. `scripts/test.sh` installs SALib in a virtual environment and
//! sets `POVSIM_PYTHON` to its interpreter and `POVSIM_REQUIRE_SALIB`.

use std::path::{Path, PathBuf};

use super::common::{povsim, skip};

/// A Python with SALib, or `None` (with a visible skip).
fn python_with_salib() -> Option<PathBuf> {
    let python = std::env::var_os("POVSIM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let ok = std::process::Command::new(&python)
        .args(["-c", "import SALib, numpy"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    skip(
        "POVSIM_REQUIRE_SALIB",
        "the SALib cross-check",
        "no Python with SALib (scripts/test.sh installs it in a virtual environment)",
    );
    None
}

fn salib_agrees(python: &Path, study: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/salib_check.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(study)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "SALib disagrees with povsim on {}:\n{text}\n{}",
        study.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.lines().count() >= 30,
        "every index was compared:\n{text}"
    );
}

#[test]
fn salib_computes_povsims_morris_and_sobol_indices_from_povsims_own_design() {
    let Some(python) = python_with_salib() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (method, samples) in [("morris", "6"), ("sobol", "32")] {
        let out = dir.path().join(method);
        povsim()
            .args([
                "sensitivity",
                "--method",
                method,
                "--samples",
                samples,
                "--dummy",
            ])
            .args(["--households", "300", "--replications", "2", "--years", "3"])
            .args(["--quiet", "--no-report", "--out"])
            .arg(&out)
            .assert()
            .success();
        salib_agrees(&python, &out);
    }
}
