//! Every kind of bad input gets a message naming the file, line and key and the fix,
//! exit code 2, and no panic.

use super::common::{povsim, scenario, write};

/// Run `validate` on a file with `text` and return stderr; asserts exit code 2.
fn fails(text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.toml", text);
    let out = povsim()
        .arg("validate")
        .arg(&file)
        .args(extra)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn misspelled_key_suggests_the_right_one() {
    let err = fails("[policy.monitoring]\ndetecton_rate = 0.9\n", &[]);
    assert!(err.contains("bad.toml:2"), "{err}");
    assert!(
        err.contains("unknown key `policy.monitoring.detecton_rate`"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `policy.monitoring.detection_rate`"),
        "{err}"
    );
}

#[test]
fn unknown_section_is_named() {
    let err = fails("\n[polcy.monitoring]\nenabled = true\n", &[]);
    assert!(
        err.contains("bad.toml:3") && err.contains("polcy.monitoring.enabled"),
        "{err}"
    );
}

#[test]
fn probability_out_of_range() {
    let err = fails("[shocks.illness]\nprobability = 1.5\n", &[]);
    assert!(err.contains("bad.toml:2"), "{err}");
    assert!(err.contains("`shocks.illness.probability` = 1.5"), "{err}");
    assert!(err.contains("[0, 1]"), "{err}");
}

#[test]
fn negative_money() {
    let err = fails("[policy.social_security.dibao]\nstandard = -10\n", &[]);
    assert!(
        err.contains("dibao.standard") && err.contains(">= 0"),
        "{err}"
    );
}

#[test]
fn zero_years() {
    let err = fails("[simulation]\nyears = 0\n", &[]);
    assert!(
        err.contains("bad.toml:2") && err.contains("simulation.years") && err.contains("from 1"),
        "{err}"
    );
}

#[test]
fn wrong_type() {
    let err = fails("[simulation]\nhouseholds = \"many\"\n", &[]);
    assert!(
        err.contains("simulation.households") && err.contains("whole number"),
        "{err}"
    );
    let err = fails("[simulation]\nhouseholds = 10.5\n", &[]);
    assert!(err.contains("without a decimal point"), "{err}");
    let err = fails("[policy.monitoring]\nenabled = 1\n", &[]);
    assert!(err.contains("true or false"), "{err}");
}

#[test]
fn duplicate_key() {
    let err = fails("[simulation]\nyears = 5\nyears = 6\n", &[]);
    assert!(
        err.contains("bad.toml:3") && err.contains("invalid TOML"),
        "{err}"
    );
}

#[test]
fn syntax_error() {
    let err = fails("[simulation\nyears = 5\n", &[]);
    assert!(
        err.contains("bad.toml:1") && err.contains("invalid TOML"),
        "{err}"
    );
}

#[test]
fn not_a_number() {
    let err = fails("[shocks.illness]\nprobability = nan\n", &[]);
    assert!(err.contains("finite"), "{err}");
}

#[test]
fn missing_extends_target() {
    let err = fails("extends = \"nowhere.toml\"\n", &[]);
    assert!(
        err.contains("bad.toml:1") && err.contains("nowhere.toml") && err.contains("relative"),
        "{err}"
    );
}

#[test]
fn extends_cycle() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    let b = write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
    let out = povsim()
        .arg("validate")
        .arg(&b)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cycle") && err.contains("a.toml") && err.contains("b.toml"),
        "{err}"
    );
    let own = write(dir.path(), "self.toml", "extends = \"self.toml\"\n");
    povsim()
        .arg("validate")
        .arg(&own)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cycle"));
}

#[test]
fn event_outside_horizon() {
    let err = fails(
        "[[events]]\nyear = 2050\n[events.set]\npolicy.monitoring.enabled = false\n",
        &[],
    );
    assert!(
        err.contains("bad.toml:2") && err.contains("events[0].year") && err.contains("2020..=2029"),
        "{err}"
    );
}

#[test]
fn event_may_not_change_population() {
    let err = fails(
        "[[events]]\nyear = 2022\n[events.set]\npopulation.lifted_share = 0.5\n",
        &[],
    );
    assert!(err.contains("cannot change in an event"), "{err}");
}

#[test]
fn bad_set_values_are_named() {
    let err = fails(
        "name = \"x\"\n",
        &["--set", "policy.monitoring.detection_rate=2"],
    );
    assert!(
        err.contains("--set") && err.contains("detection_rate") && err.contains("[0, 1]"),
        "{err}"
    );
    let err = fails(
        "name = \"x\"\n",
        &["--set", "policy.monitoring.detection_rat=0.5"],
    );
    assert!(
        err.contains("did you mean `policy.monitoring.detection_rate`"),
        "{err}"
    );
    let err = fails("name = \"x\"\n", &["--set", "novalue"]);
    assert!(err.contains("KEY=VALUE"), "{err}");
}

#[test]
fn bad_flags_are_named() {
    povsim()
        .args(["run", "--households", "0", "--quiet"])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("--households")
                .and(predicates::str::contains("simulation.households")),
        );
    povsim()
        .args(["run", "--years", "-3", "--quiet"])
        .assert()
        .code(2);
    povsim()
        .args(["run", "--replications", "2.5", "--quiet"])
        .assert()
        .code(2);
}

#[test]
fn binary_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin.toml");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x81]).unwrap();
    povsim()
        .arg("validate")
        .arg(&bin)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not UTF-8"));
    povsim()
        .arg("validate")
        .arg(dir.path().join("absent.toml"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read scenario file"));
}

#[test]
fn new_program_must_be_complete() {
    let err = fails("[policy.industry.programs.apples]\nenabled = true\n", &[]);
    assert!(
        err.contains("apples") && err.contains("missing") && err.contains("income_mean"),
        "{err}"
    );
    // A complete new program is fine.
    let goji = std::fs::read_to_string(scenario("baseline.toml")).unwrap();
    let start = goji.find("[policy.industry.programs.goji]").unwrap();
    let block: String = goji[start..]
        .lines()
        .take(12)
        .collect::<Vec<_>>()
        .join("\n");
    let text = block.replace("programs.goji", "programs.apples");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ok.toml", &text);
    povsim().arg("validate").arg(&file).assert().success();
}

use predicates::prelude::*;
