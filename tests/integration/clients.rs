//! Real clients against povsim, each run by its own Python script in tests/clients/:
//! - SALib's analysers on povsim's own designs and results must agree with povsim's
//!   indices (salib_check.py), the check that the estimators are right;
//! - the Python package (python/) must give the command line's tables byte for byte,
//!   release the GIL and run in a forked child (python_check.py);
//! - EMA Workbench's sequential and multiprocessing evaluators must agree on 8
//!   experiments of the baseline (ema_check.py);
//! - Dask workers running a prepared study's points must merge to the command line's
//!   study byte for byte (dask_check.py).
//!
//! `scripts/test.sh` installs SALib, EMA Workbench, Dask, pandas and polars in a
//! virtual environment, builds the package into it with maturin, and sets
//! `POVSIM_PYTHON` to its interpreter, with `POVSIM_REQUIRE_SALIB` and
//! `POVSIM_REQUIRE_PYTHON_PACKAGE` so that a missing client fails instead of skipping.

use std::path::{Path, PathBuf};

use super::common::{povsim, skip};

/// A Python that imports `modules`, or `None` (with a visible skip, unless `require`
/// is set).
pub fn python_with(modules: &str, require: &str, check: &str) -> Option<PathBuf> {
    let python = std::env::var_os("POVSIM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    skip(
        require,
        check,
        &format!(
            "no Python with {modules} (scripts/test.sh installs them in a virtual environment)"
        ),
    );
    None
}

fn python_with_salib() -> Option<PathBuf> {
    python_with(
        "SALib, numpy",
        "POVSIM_REQUIRE_SALIB",
        "the SALib cross-check",
    )
}

/// Run `tests/clients/SCRIPT ARGS...`; returns its standard output, failing the test
/// with both outputs if it fails.
pub fn client(python: &Path, script: &str, args: &[&Path]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    let out = std::process::Command::new(python)
        .arg(path)
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn salib_agrees(python: &Path, study: &Path) {
    let text = client(python, "salib_check.py", &[study]);
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

/// The sizes python_check.py runs, as command-line flags.
const PY_SIZES: [&str; 8] = [
    "--households",
    "400",
    "--years",
    "3",
    "--replications",
    "3",
    "--seed",
    "11",
];

#[test]
fn the_python_package_gives_the_command_lines_tables_releases_the_gil_and_runs_when_forked() {
    let Some(python) = python_with(
        "povsim, pandas, polars",
        "POVSIM_REQUIRE_PYTHON_PACKAGE",
        "the Python package check",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (run, cmp, work) = (
        dir.path().join("run"),
        dir.path().join("cmp"),
        dir.path().join("work"),
    );
    std::fs::create_dir(&work).unwrap();
    povsim()
        .arg("run")
        .args(PY_SIZES)
        .args(["--quiet", "--no-report", "--out"])
        .arg(&run)
        .assert()
        .success();
    povsim()
        .arg("compare")
        .args([
            super::common::scenario("baseline.toml"),
            super::common::scenario("monitoring.toml"),
        ])
        .args(PY_SIZES)
        .args(["--quiet", "--no-report", "--out"])
        .arg(&cmp)
        .assert()
        .success();
    let text = client(&python, "python_check.py", &[&run, &cmp, &work]);
    for check in [
        "ok run",
        "ok metrics",
        "ok compare",
        "ok error",
        "ok out=",
        "ok GIL",
        "ok fork",
        "ok study",
    ] {
        assert!(text.contains(check), "{check} missing:\n{text}");
    }
}

#[test]
fn ema_workbench_sequential_and_multiprocessing_evaluators_agree_on_povsim() {
    let Some(python) = python_with(
        "povsim, ema_workbench",
        "POVSIM_REQUIRE_PYTHON_PACKAGE",
        "the EMA Workbench check",
    ) else {
        return;
    };
    let text = client(&python, "ema_check.py", &[]);
    assert_eq!(
        text.matches("identical over both evaluators").count(),
        3,
        "{text}"
    );
}

#[test]
fn dask_workers_run_a_prepared_study_that_merges_to_the_command_lines_bytes() {
    let Some(python) = python_with(
        "povsim, dask.distributed",
        "POVSIM_REQUIRE_PYTHON_PACKAGE",
        "the Dask check",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (prepared, cli) = (dir.path().join("prepared"), dir.path().join("cli"));
    for (out, prepare) in [(&prepared, true), (&cli, false)] {
        let mut cmd = povsim();
        cmd.args(["sensitivity", "--method", "morris", "--samples", "4"])
            .args(["--households", "300", "--years", "3", "--replications", "2"])
            .args(["--quiet", "--no-report", "--out"])
            .arg(out);
        if prepare {
            cmd.arg("--prepare");
        }
        cmd.assert().success();
    }
    let text = client(&python, "dask_check.py", &[&prepared, &cli]);
    assert_eq!(text.matches("byte-identical").count(), 3, "{text}");
}
