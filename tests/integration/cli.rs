//! `povsim run` and `povsim validate` as a user runs them.

use super::common::{SMALL, povsim, read, scenario, small_run, stdout_of};

#[test]
fn run_writes_every_file_with_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    povsim()
        .arg("run")
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("return rate"));
    let headers = [
        (
            "yearly.csv",
            "scenario,year,metric,mean,sd,ci_low,ci_high,n",
        ),
        ("replications.csv", "scenario,replication,year,metric,value"),
        ("summary.csv", "scenario,metric,mean,sd,ci_low,ci_high,n"),
        ("causes.csv", "scenario,year,cause,returns_mean,share"),
    ];
    for (file, header) in headers {
        let text = read(&out.join(file));
        assert_eq!(text.lines().next(), Some(header), "{file}");
        assert!(text.lines().count() > 1, "{file} has rows");
    }
    let yearly = read(&out.join("yearly.csv"));
    for metric in [
        "return_rate",
        "returns",
        "returns_persons",
        "lifted_at_risk",
        "new_poverty_rate",
        "new_poor",
        "headcount_rate",
        "poverty_gap",
        "squared_gap",
        "monitored",
        "detected",
        "missed",
        "cost_total",
        "cost_dibao",
        "cost_monitoring_topup",
        "cost_industry",
    ] {
        assert!(
            yearly.contains(&format!(",2020,{metric},")),
            "yearly.csv lacks {metric}"
        );
    }
    let summary = read(&out.join("summary.csv"));
    for metric in [
        "cumulative_return_prob",
        "mean_return_rate",
        "total_cost",
        "return_rate",
    ] {
        assert!(
            summary.contains(&format!("baseline,{metric},")),
            "summary.csv lacks {metric}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["households"], 800);
    assert_eq!(manifest["replications"], 3);
    assert_eq!(manifest["seed"], 20200101);
    assert!(manifest["household_years_per_second"].as_f64().unwrap() > 0.0);
    assert!(read(&out.join("scenario.toml")).contains("[policy.monitoring]"));
}

#[test]
fn refuses_non_empty_output_without_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "precious").unwrap();
    povsim()
        .arg("run")
        .args(SMALL)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--force"));
    assert_eq!(read(&dir.path().join("keep.txt")), "precious");
    povsim()
        .arg("run")
        .args(SMALL)
        .args(["--quiet", "--force", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    assert!(dir.path().join("yearly.csv").exists());
}

#[test]
fn validate_prints_resolved_scenario() {
    let text = stdout_of(
        povsim()
            .args(["validate"])
            .arg(scenario("monitoring.toml"))
            .args(["--set", "policy.monitoring.exit_years=3"]),
    );
    assert!(text.contains("name = \"monitoring\""));
    assert!(
        text.contains("detection_rate = 0.95"),
        "from monitoring.toml"
    );
    assert!(text.contains("exit_years = 3"), "from --set");
    assert!(text.contains("villages = 136"), "from the baseline");
}

#[test]
fn runs_from_any_directory_with_the_embedded_baseline() {
    let dir = tempfile::tempdir().unwrap();
    povsim()
        .current_dir(dir.path())
        .arg("run")
        .args(SMALL)
        .arg("--quiet")
        .assert()
        .success();
    let outputs: Vec<_> = std::fs::read_dir(dir.path().join("outputs"))
        .unwrap()
        .collect();
    assert_eq!(outputs.len(), 1);
    let name = outputs[0]
        .as_ref()
        .unwrap()
        .file_name()
        .into_string()
        .unwrap();
    assert!(name.starts_with("baseline-"), "{name}");
}

#[test]
fn one_household_one_year_one_replication() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("one");
    povsim()
        .args([
            "run",
            "--households",
            "1",
            "--years",
            "1",
            "--replications",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let summary = read(&out.join("summary.csv"));
    let row = summary
        .lines()
        .find(|l| l.starts_with("baseline,return_rate,"))
        .unwrap();
    // mean, then empty sd and interval, then n = 1.
    let fields: Vec<&str> = row.split(',').collect();
    assert_eq!(&fields[3..], &["", "", "", "1"], "{row}");
    assert!(!summary.contains("NaN"));
}

#[cfg(unix)]
#[test]
fn interrupt_stops_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let (code, err) = super::common::interrupted(
        &[
            "run",
            "--households",
            "200000",
            "--replications",
            "50",
            "--quiet",
        ],
        &out,
        700,
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("nothing was written"),
        "{err}"
    );
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(leftovers.is_empty(), "no partial directory");
}

#[test]
fn cumulative_return_share_rises_to_the_summary_figure() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    // replications.csv: scenario,replication,year,metric,value
    let reps = read(&out.join("replications.csv"));
    let mut by_rep: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for line in reps
        .lines()
        .filter(|l| l.contains(",cumulative_return_share,"))
    {
        let f: Vec<&str> = line.split(',').collect();
        by_rep
            .entry(f[1].to_string())
            .or_default()
            .push(f[4].parse().unwrap());
    }
    assert_eq!(by_rep.len(), 3);
    let mut finals = Vec::new();
    for shares in by_rep.values() {
        assert_eq!(shares.len(), 4, "one value a year");
        assert!(
            shares.windows(2).all(|w| w[0] <= w[1]),
            "{shares:?} never falls"
        );
        assert!(shares[3] > 0.0);
        finals.push(shares[3]);
    }
    let mean = finals.iter().sum::<f64>() / finals.len() as f64;
    let summary = read(&out.join("summary.csv"));
    let row = summary
        .lines()
        .find(|l| l.starts_with("baseline,cumulative_return_prob,"))
        .unwrap();
    let reported: f64 = row.split(',').nth(2).unwrap().parse().unwrap();
    assert!((mean - reported).abs() < 1e-12, "{mean} vs {reported}");
}

/// `povsim metrics` lists exactly the metrics a run's files hold, each once with a unit.
#[test]
fn metrics_lists_what_the_files_hold() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let listed = stdout_of(povsim().args(["metrics", "--csv"]));
    let mut rows = csv::Reader::from_reader(listed.as_bytes());
    let mut yearly_listed = std::collections::BTreeSet::new();
    let mut summary_listed = std::collections::BTreeSet::new();
    for row in rows.records() {
        let row = row.unwrap();
        let (name, table, unit) = (&row[0], &row[1], &row[2]);
        assert!(
            !unit.is_empty() && !row[3].is_empty(),
            "{name} lacks a unit or label"
        );
        if table.contains("yearly") {
            yearly_listed.insert(name.to_string());
        }
        if table.contains("summary") {
            summary_listed.insert(name.to_string());
        }
    }
    let names_in = |file: &str, column: usize| -> std::collections::BTreeSet<String> {
        let text = read(&out.join(file));
        let mut r = csv::Reader::from_reader(text.as_bytes());
        r.records()
            .map(|x| x.unwrap()[column].to_string())
            .collect()
    };
    assert_eq!(names_in("yearly.csv", 2), yearly_listed);
    assert_eq!(names_in("summary.csv", 1), summary_listed);
    let table = stdout_of(povsim().arg("metrics"));
    assert!(table.contains("monitored_share_lifted") && table.contains("share"));
}
