//! `povsim sweep` and `povsim sensitivity`: reproducible, exact, resumable.

use std::fs;
use std::path::Path;

use super::common::{povsim, read};

const TINY: [&str; 6] = ["--households", "300", "--replications", "2", "--years", "3"];

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [
        "design.csv",
        "results.csv",
        "indices.csv",
        "sweep.csv",
        "plan.toml",
        "scenario.toml",
    ]
    .iter()
    .filter(|f| dir.join(f).exists())
    .map(|f| (f.to_string(), read(&dir.join(f))))
    .collect();
    out.sort();
    out
}

#[test]
fn sweep_is_reproducible_with_exact_values() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        povsim()
            .args([
                "sweep",
                "--vary",
                "policy.monitoring.detection_rate=0.1:0.9:5",
                "--vary",
                "shocks.illness.probability=0.05,0.1",
            ])
            .args(TINY)
            .args(["--quiet", "--out"])
            .arg(out)
            .assert()
            .success();
    }
    assert_eq!(files(&a), files(&b));
    let design = read(&a.join("design.csv"));
    assert_eq!(
        design.lines().next(),
        Some("point,policy.monitoring.detection_rate,shocks.illness.probability")
    );
    let rates: Vec<&str> = design
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        rates,
        [
            "0.1", "0.1", "0.3", "0.3", "0.5", "0.5", "0.7", "0.7", "0.9", "0.9"
        ]
    );
    let sweep = read(&a.join("sweep.csv"));
    assert!(sweep.starts_with("point,policy.monitoring.detection_rate,shocks.illness.probability,metric,mean,sd,ci_low,ci_high,n\n"));
    assert!(sweep.contains("\n4,0.5,0.05,return_rate,"));
}

#[test]
fn resumed_study_is_byte_identical_to_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    for out in [&whole, &cut] {
        povsim()
            .args([
                "sensitivity",
                "--method",
                "sobol",
                "--samples",
                "3",
                "--dummy",
            ])
            .args(TINY)
            .args(["--quiet", "--out"])
            .arg(out)
            .assert()
            .success();
    }
    // Interrupt after some points: remove the tables and half of the point files.
    fs::remove_file(cut.join("results.csv")).unwrap();
    fs::remove_file(cut.join("indices.csv")).unwrap();
    let mut points: Vec<_> = fs::read_dir(cut.join("points"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    points.sort();
    let total = points.len();
    for p in points.iter().step_by(2) {
        fs::remove_file(p).unwrap();
    }
    povsim()
        .args(["sensitivity", "--resume"])
        .arg(&cut)
        .assert()
        .success()
        .stdout(predicates::str::contains(format!(
            "{total} points ({} run now)",
            total.div_ceil(2)
        )));
    assert_eq!(files(&whole), files(&cut));
    let indices = read(&whole.join("indices.csv"));
    assert!(indices.starts_with("factor,method,index,value,ci_low,ci_high\n"));
    assert!(indices.contains("dummy,sobol,S1,") && indices.contains("dummy,sobol,ST,"));
}

#[test]
fn interrupted_study_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    let (code, err) = super::common::interrupted(
        &[
            "sensitivity",
            "--method",
            "lhs",
            "--samples",
            "400",
            "--households",
            "3000",
            "--replications",
            "2",
            "--quiet",
        ],
        &out,
        1500,
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("--resume"), "{err}");
    assert!(
        !out.join("results.csv").exists(),
        "no complete-looking tables"
    );
    assert!(out.join("plan.toml").exists());
}

#[test]
fn bad_study_input_is_named() {
    povsim()
        .args([
            "sweep",
            "--vary",
            "policy.monitoring.detection_rate=0.1:0.9",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("LO:HI:N"));
    povsim()
        .args([
            "sweep",
            "--vary",
            "policy.monitoring.detection_rate=0.1:1.5:3",
            "--quiet",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("[0, 1]"));
    povsim()
        .args(["sensitivity", "--metric", "retrun_rate", "--samples", "3"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `return_rate`"));
    povsim()
        .args(["sensitivity", "--method", "fast"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("lhs, morris or sobol"));
    let dir = tempfile::tempdir().unwrap();
    povsim()
        .arg("sensitivity")
        .arg("--resume")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not a study directory"));
}

/// Run `povsim ARGS` as `n` concurrent processes, shard `i` of `n` each, and require
/// that every one succeeds.
fn shards(study: &Path, command: &str, n: usize) {
    let children: Vec<_> = (1..=n)
        .map(|i| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin!("povsim"))
                .args([command, "--resume"])
                .arg(study)
                .args(["--shard", &format!("{i}/{n}"), "--threads", "1", "--quiet"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_study_run_as_concurrent_shards_merges_byte_identical_to_one_process() {
    let dir = tempfile::tempdir().unwrap();
    for (command, design) in [
        (
            "sensitivity",
            vec!["--method", "sobol", "--samples", "4", "--dummy"],
        ),
        (
            "sweep",
            vec!["--vary", "policy.monitoring.detection_rate=0.1:0.9:5"],
        ),
    ] {
        let single = dir.path().join(format!("{command}-single"));
        let split = dir.path().join(format!("{command}-split"));
        for (out, extra) in [(&single, None), (&split, Some("--prepare"))] {
            povsim()
                .arg(command)
                .args(&design)
                .args(TINY)
                .args(["--quiet", "--no-report", "--out"])
                .arg(out)
                .args(extra)
                .assert()
                .success();
        }
        // Prepared: the plan and design, no point run and no table.
        assert!(split.join("plan.toml").exists() && split.join("design.csv").exists());
        assert_eq!(fs::read_dir(split.join("points")).unwrap().count(), 0);
        // Merging before the shards ran names every point and the command.
        let err = povsim().arg("merge").arg(&split).assert().code(1);
        let err = String::from_utf8(err.get_output().stderr.clone()).unwrap();
        assert!(
            err.contains("are missing") && err.contains("--resume"),
            "{err}"
        );

        shards(&split, command, 3);
        povsim()
            .arg("merge")
            .arg(&split)
            .args(["--quiet", "--no-report"])
            .assert()
            .success();
        for table in ["results.csv", "indices.csv", "sweep.csv"] {
            if single.join(table).exists() {
                assert_eq!(
                    fs::read(single.join(table)).unwrap(),
                    fs::read(split.join(table)).unwrap(),
                    "{command}: {table}"
                );
            }
        }
    }
}

#[test]
fn a_truncated_or_foreign_point_file_is_run_again_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let vary = ["--vary", "policy.monitoring.detection_rate=0.2:0.8:4"];
    for (out, seed) in [(&a, "1"), (&b, "2")] {
        povsim()
            .arg("sweep")
            .args(vary)
            .args(TINY)
            .args(["--seed", seed, "--quiet", "--no-report", "--out"])
            .arg(out)
            .assert()
            .success();
    }
    let whole = read(&a.join("sweep.csv"));
    let point = |dir: &Path, i: usize| dir.join("points").join(format!("{i:06}.csv"));
    // Point 1 cut short, point 2 from another study (another seed), point 3 gone.
    let text = fs::read(point(&a, 1)).unwrap();
    fs::write(point(&a, 1), &text[..text.len() / 2]).unwrap();
    fs::copy(point(&b, 2), point(&a, 2)).unwrap();
    fs::remove_file(point(&a, 3)).unwrap();
    let err = povsim().arg("merge").arg(&a).assert().code(1);
    let err = String::from_utf8(err.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("3 of 4 points") && err.contains("1-3"),
        "{err}"
    );
    povsim()
        .args(["sweep", "--resume"])
        .arg(&a)
        .args(["--quiet", "--no-report"])
        .assert()
        .success();
    assert_eq!(read(&a.join("sweep.csv")), whole, "rerun, not merged");
}
