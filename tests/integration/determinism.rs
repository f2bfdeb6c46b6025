//! The same seed gives the same bytes on any thread count; the resolved scenario
//! reproduces the run; a different seed gives different numbers.

use std::path::Path;

use super::common::{SMALL, povsim, read, scenario};

const TABLES: [&str; 4] = [
    "yearly.csv",
    "replications.csv",
    "summary.csv",
    "causes.csv",
];

fn run(out: &Path, file: Option<&Path>, extra: &[&str]) {
    run_sized(out, file, &SMALL, extra);
}

fn run_sized(out: &Path, file: Option<&Path>, sizes: &[&str], extra: &[&str]) {
    let mut cmd = povsim();
    cmd.arg("run");
    if let Some(f) = file {
        cmd.arg(f);
    }
    cmd.args(sizes)
        .args(extra)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

#[test]
fn thread_count_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    // More households than one chunk, so that chunks really run in parallel; and
    // again with the scale rule binding, whose admissions rank households across
    // chunks.
    let sizes = [
        "--households",
        "3000",
        "--replications",
        "2",
        "--years",
        "4",
    ];
    for (name, extra) in [
        ("as bundled", None),
        ("scale rule", Some("policy.monitoring.scale_share=0.05")),
    ] {
        let (a, b) = (
            dir.path().join(format!("{name} 1")),
            dir.path().join(format!("{name} 2")),
        );
        for (out, threads) in [(&a, "1"), (&b, "2")] {
            let mut args = vec!["--threads", threads];
            if let Some(set) = extra {
                args.extend(["--set", set]);
            }
            run_sized(out, Some(&scenario("combined.toml")), &sizes, &args);
        }
        for f in TABLES {
            assert_eq!(
                read(&a.join(f)),
                read(&b.join(f)),
                "{f} differs between 1 and 2 threads ({name})"
            );
        }
        if extra.is_some() {
            let yearly = read(&a.join("yearly.csv"));
            assert!(
                yearly
                    .lines()
                    .any(|l| l.contains(",scale_refused,") && !l.contains(",scale_refused,0,")),
                "the scale rule binds"
            );
        }
    }
}

#[test]
fn different_seed_gives_different_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("s1"), dir.path().join("s2"));
    run(&a, None, &["--seed", "1"]);
    run(&b, None, &["--seed", "2"]);
    assert_ne!(
        read(&a.join("replications.csv")),
        read(&b.join("replications.csv"))
    );
}

#[test]
fn resolved_scenario_reproduces_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("first"), dir.path().join("again"));
    run_sized(
        &a,
        Some(&scenario("transition_ends.toml")),
        &["--households", "800", "--replications", "3", "--years", "7"],
        &["--set", "policy.monitoring.detection_rate=0.7"],
    );
    // Only the resolved file: no flags, no extends.
    povsim()
        .arg("run")
        .arg(a.join("scenario.toml"))
        .arg("--quiet")
        .arg("--out")
        .arg(&b)
        .assert()
        .success();
    for f in TABLES {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f} not reproduced");
    }
}
