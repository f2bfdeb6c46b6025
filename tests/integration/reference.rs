//! The NumPy reference of the core model (benches/reference/) agrees with the engine:
//! the benchmark compares two implementations of the same model, and a change to
//! either that makes them drift apart fails here.

use std::path::Path;

use super::common::{povsim, skip, stdout_of};

/// Python with NumPy, or `None` (with a note) where it is missing. `scripts/test.sh`
/// installs NumPy and sets `POVSIM_REQUIRE_NUMPY`, under which a missing one fails.
fn python_with_numpy() -> Option<&'static str> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip(
            "POVSIM_REQUIRE_NUMPY",
            "the NumPy reference check",
            "no python3 with numpy (scripts/test.sh installs it)",
        );
        return None;
    }
    Some("python3")
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn numpy_reference_gives_the_engines_return_rate() {
    let Some(python) = python_with_numpy() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let core = root.join("benches/reference/core.toml");
    let dir = tempfile::tempdir().unwrap();
    let resolved = dir.path().join("core.toml");
    std::fs::write(&resolved, stdout_of(povsim().arg("validate").arg(&core))).unwrap();
    let out = dir.path().join("run");
    povsim()
        .arg("run")
        .arg(&core)
        .args([
            "--households",
            "4000",
            "--replications",
            "20",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let mut by_rep: std::collections::BTreeMap<u32, Vec<f64>> = Default::default();
    let reps = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    for line in reps.lines().filter(|l| l.contains(",return_rate,")) {
        let f: Vec<&str> = line.split(',').collect();
        by_rep
            .entry(f[1].parse().unwrap())
            .or_default()
            .push(f[4].parse().unwrap());
    }
    let engine: Vec<f64> = by_rep
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    let run = std::process::Command::new(python)
        .arg(root.join("benches/reference/core_model.py"))
        .arg(&resolved)
        .args([
            "--households",
            "4000",
            "--replications",
            "20",
            "--seed",
            "7",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let numpy: Vec<f64> = json["return_rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (e, se) = mean_sd(&engine);
    let (n, sn) = mean_sd(&numpy);
    let se_diff = (se * se / engine.len() as f64 + sn * sn / numpy.len() as f64).sqrt();
    let z = (e - n) / se_diff;
    // Fixed seeds on both sides: this is deterministic, not flaky.
    assert!(
        z.abs() < 3.0,
        "engine {e:.5} vs NumPy {n:.5}: z = {z:.2}, beyond Monte Carlo error"
    );
    assert!(e > 0.02 && e < 0.15, "a plausible return rate: {e}");
}
