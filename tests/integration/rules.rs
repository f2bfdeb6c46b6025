//! Policy rule cases: every case in tests/rules passes, and a wrong expectation fails.

use super::common::{povsim, write};

fn rules() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("rules")
}

#[test]
fn every_rule_case_passes() {
    let n = std::fs::read_dir(rules()).unwrap().count();
    assert!(n >= 15, "cases for every policy");
    povsim()
        .arg("check")
        .arg(rules())
        .assert()
        .success()
        .stdout(predicates::str::contains(format!("{n} passed, 0 failed")));
}

#[test]
fn a_wrong_expectation_fails_with_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(rules().join("dibao_gap.toml")).unwrap();
    let wrong = write(
        dir.path(),
        "wrong.toml",
        &text.replace("dibao = 6400.0", "dibao = 6000.0"),
    );
    povsim().arg("check").arg(&wrong).assert().code(1).stdout(
        predicates::str::contains("FAIL")
            .and(predicates::str::contains("dibao: expected 6000, got 6400")),
    );
    let unknown = write(
        dir.path(),
        "unknown.toml",
        "description = \"x\"\n[expected]\nno_such_value = 1\n",
    );
    povsim()
        .arg("check")
        .arg(&unknown)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("no such value"));
    let bad = write(
        dir.path(),
        "bad.toml",
        "description = \"x\"\n[household]\nsise = 3\n[expected]\ny = 1\n",
    );
    povsim()
        .arg("check")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.toml"));
}

use predicates::prelude::*;
