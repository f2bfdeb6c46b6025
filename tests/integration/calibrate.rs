//! `povsim calibrate`: recovering a known truth, resuming, holding targets out.

use std::path::Path;

use super::common::{povsim, read, stdout_of, write};

/// The truth the recovery test simulates, and the ranges the fit searches.
const TRUTH: [(&str, f64, f64, f64); 2] = [
    ("policy.monitoring.detection_rate", 0.55, 0.2, 0.9),
    ("shocks.illness.probability", 0.13, 0.05, 0.2),
];

/// A small scenario: 1,500 households, 4 years, 6 replications.
fn small(dir: &Path) -> std::path::PathBuf {
    let baseline = super::common::scenario("baseline.toml");
    write(
        dir,
        "small.toml",
        &format!(
            "extends = {:?}\nname = \"small\"\n\
             [simulation]\nhouseholds = 1500\nyears = 4\nreplications = 6\n",
            baseline.display().to_string()
        ),
    )
}

/// Targets read from a run at the truth: the yearly mean of `detected` and of basic
/// insurance's cost, each with a tolerance of 1.5%.
fn targets_from_truth(dir: &Path, scenario: &Path) -> std::path::PathBuf {
    let out = dir.join("truth");
    let mut cmd = povsim();
    cmd.arg("run")
        .arg(scenario)
        .args(["--quiet", "--no-report", "--out"])
        .arg(&out);
    for (k, v, _, _) in TRUTH {
        cmd.args(["--set", &format!("{k}={v}")]);
    }
    cmd.assert().success();
    let summary = read(&out.join("summary.csv"));
    let mean = |metric: &str| -> f64 {
        summary
            .lines()
            .find(|l| l.split(',').nth(1) == Some(metric))
            .and_then(|l| l.split(',').nth(2))
            .unwrap()
            .parse()
            .unwrap()
    };
    let mut text = String::new();
    for metric in ["detected", "cost_medical_insurance"] {
        let v = mean(metric);
        text.push_str(&format!(
            "[[target]]\nname = \"{metric}\"\nmetric = \"{metric}\"\nscenario = \"small\"\n\
             value = {v:?}\ntolerance = {:?}\nsource = \"a run at the truth\"\nconfidence = \"S\"\n\n",
            v * 0.015
        ));
    }
    write(dir, "targets.toml", &text)
}

fn factors(dir: &Path) -> std::path::PathBuf {
    let mut text = String::new();
    for (k, _, lo, hi) in TRUTH {
        text.push_str(&format!(
            "[[factor]]\nkey = \"{k}\"\ndistribution = \"uniform\"\nlow = {lo}\nhigh = {hi}\n\n"
        ));
    }
    write(dir, "factors.toml", &text)
}

/// A small scenario, targets read from a run at the truth, and the factors, in a
/// temporary folder.
struct Fixture {
    tmp: tempfile::TempDir,
    scenario: std::path::PathBuf,
    targets: std::path::PathBuf,
    factors: std::path::PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let scenario = small(tmp.path());
        let targets = targets_from_truth(tmp.path(), &scenario);
        let factors = factors(tmp.path());
        Fixture {
            tmp,
            scenario,
            targets,
            factors,
        }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// `povsim calibrate` of the fixture into `out`, with `args`.
    fn calibrate(&self, out: &Path, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = povsim();
        cmd.arg("calibrate")
            .arg(&self.scenario)
            .arg("--targets")
            .arg(&self.targets)
            .arg("--factors")
            .arg(&self.factors)
            .args(args)
            .arg("--out")
            .arg(out);
        cmd
    }
}

fn fitted(dir: &Path) -> Vec<f64> {
    read(&dir.join("parameters.csv"))
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn calibrate_recovers_a_known_truth_and_resumes_to_the_same_fit() {
    let fx = Fixture::new();
    let out = fx.dir().join("fit");
    let text = stdout_of(&mut fx.calibrate(&out, &["--samples", "8", "--evaluations", "60"]));
    assert!(text.contains("calibrated small"), "{text}");
    // The screen's best point is not the truth: the fit moves from it to the truth.
    let values = fitted(&out);
    for ((key, truth, lo, hi), got) in TRUTH.iter().zip(&values) {
        assert!(
            (got - truth).abs() <= 0.05 * (hi - lo),
            "{key}: fitted {got}, truth {truth}"
        );
    }
    let fit = read(&out.join("fit.csv"));
    assert_eq!(fit.lines().count(), 3, "{fit}");
    assert!(
        fit.lines()
            .skip(1)
            .all(|l| l.contains(",fit,") && l.contains(",true,")),
        "every target met: {fit}"
    );
    let report = read(&out.join("report.html"));
    assert!(report.contains("2 of 2 targets met"), "report summary");
    assert!(out.join("charts/fit.svg").exists() && out.join("calibrated.toml").exists());
    let calibrated = read(&out.join("calibrated.toml"));
    assert!(calibrated.contains(&format!("detection_rate = {}", values[0])));

    // A stop part-way: keep half the evaluations and a line cut short, drop the
    // outputs; --resume replays the same search and writes the same fit.
    let evaluations = read(&out.join("evaluations.csv"));
    let lines: Vec<&str> = evaluations.lines().collect();
    // The search starts from the scenario's own values (the baseline's), perturbed
    // from the truth.
    let first: Vec<f64> = lines[1].split(',').map(|v| v.parse().unwrap()).collect();
    assert!(
        (first[2] - 0.81).abs() < 1e-9 && (first[3] - 0.108).abs() < 1e-9,
        "{}",
        lines[1]
    );
    let mut cut = lines[..lines.len() / 2].join("\n");
    cut.push('\n');
    cut.push_str(&lines[lines.len() / 2][..10]);
    std::fs::write(out.join("evaluations.csv"), cut).unwrap();
    for f in [
        "fit.csv",
        "parameters.csv",
        "report.html",
        "calibrated.toml",
    ] {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    povsim()
        .arg("calibrate")
        .arg("--resume")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    assert_eq!(read(&out.join("fit.csv")), fit, "resumed fit");
    assert_eq!(
        read(&out.join("evaluations.csv")),
        evaluations,
        "the same search"
    );
}

#[test]
fn a_held_out_target_is_reported_as_validation_and_not_fitted() {
    let fx = Fixture::new();
    let out = fx.dir().join("fit");
    fx.calibrate(
        &out,
        &[
            "--samples",
            "3",
            "--evaluations",
            "4",
            "--quiet",
            "--holdout",
            "cost_medical_insurance",
        ],
    )
    .assert()
    .success();
    let fit = read(&out.join("fit.csv"));
    let row = |name: &str| {
        fit.lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_string()
    };
    assert!(row("cost_medical_insurance").contains(",holdout,"), "{fit}");
    assert!(row("detected").contains(",fit,"), "{fit}");

    // A holdout that names no target is refused before anything runs.
    let bad = fx.dir().join("bad");
    fx.calibrate(&bad, &["--holdout", "nonsense"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nonsense"));
    assert!(!bad.exists());
}

#[test]
fn a_fit_budget_smaller_than_the_first_simplex_ends_cleanly() {
    // Nelder-Mead's first simplex needs one evaluation per factor and one more; a
    // budget that stops inside it must end the fit, not the program.
    let fx = Fixture::new();
    let out = fx.dir().join("fit");
    fx.calibrate(&out, &["--samples", "2", "--evaluations", "1", "--quiet"])
        .assert()
        .success();
    let evaluations = read(&out.join("evaluations.csv"));
    // The scenario's own values and two screen points; the fit's one evaluation is
    // its first vertex, the screen's best point, already recorded.
    assert_eq!(evaluations.lines().count(), 1 + 3, "{evaluations}");
    assert!(out.join("fit.csv").exists() && out.join("calibrated.toml").exists());
}
