//! `povsim trace`: the story matches what the engine recorded.

use std::sync::Mutex;

use povsim::model::YearRecord;
use povsim::population::Household;
use povsim::runner::{self, Silent};
use povsim::scenario::Source;
use povsim::trace::{self, Find};

use super::common::{povsim, stdout_of};

fn small() -> povsim::scenario::Scenario {
    Source::new(None)
        .flag("simulation.households", 2000, "test")
        .flag("simulation.replications", 2, "test")
        .load()
        .unwrap()
}

#[test]
fn trace_agrees_with_the_engines_records() {
    let s = small();
    let id = trace::find(&s, 1, Find::Returned).expect("some household returns");
    let engine = Mutex::new(Vec::new());
    let keep = |_: u32, _: &Household, r: &YearRecord| {
        if u64::from(r.id) == id {
            engine.lock().unwrap().push(r.clone());
        }
    };
    runner::replication(&s, 1, &Silent, Some(&keep));
    let mut engine = engine.into_inner().unwrap();
    engine.sort_by_key(|r| r.t);
    let years = trace::trace(&s, 1, id);
    assert_eq!(years.len(), engine.len());
    for (y, r) in years.iter().zip(&engine) {
        assert_eq!(&y.record, r);
    }
    assert!(engine.iter().any(|r| r.returned));
    let text = trace::narrative(&s, id, &years);
    for r in &engine {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{}:", s.year(r.t as usize))))
            .unwrap();
        assert_eq!(line.contains("returned to poverty"), r.returned, "{line}");
        assert_eq!(line.contains("serious illness"), r.ill, "{line}");
        assert_eq!(line.contains("drought"), r.hazards & 1 != 0, "{line}");
        assert_eq!(
            line.contains("put back on the register"),
            r.registered_return,
            "{line}"
        );
    }
}

#[test]
fn trace_names_the_year_end_reviews_verdicts() {
    // Without monitoring nobody is rescued, so a return is registered at once.
    let s = Source::new(None)
        .flag("simulation.households", 2000, "test")
        .flag("simulation.replications", 2, "test")
        .flag("policy.monitoring.enabled", false, "test")
        .load()
        .unwrap();
    let id = trace::find(&s, 1, Find::Returned).expect("some household returns");
    let years = trace::trace(&s, 1, id);
    let text = trace::narrative(&s, id, &years);
    assert!(years.iter().any(|y| y.record.registered_return), "{text}");
    for y in &years {
        let r = &y.record;
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{}:", s.year(r.t as usize))))
            .unwrap();
        assert_eq!(
            line.contains("put back on the register"),
            r.registered_return,
            "{line}"
        );
        assert_eq!(
            line.contains("verified newly poor"),
            r.verified_new_poor,
            "{line}"
        );
    }
}

#[test]
fn trace_cli_text_and_csv() {
    let text = stdout_of(povsim().args([
        "trace",
        "--find",
        "returned",
        "--households",
        "2000",
        "--replications",
        "2",
    ]));
    assert!(text.starts_with("Household "), "{text}");
    assert!(text.contains("returned to poverty"));
    assert_eq!(text.lines().count(), 11, "a profile line and ten years");
    let csv = stdout_of(povsim().args([
        "trace",
        "--household",
        "3",
        "--format",
        "csv",
        "--households",
        "100",
        "--replications",
        "1",
    ]));
    assert!(csv.starts_with("scenario,household,year,"));
    assert_eq!(csv.lines().count(), 11);
    povsim()
        .args(["trace", "--household", "100", "--households", "100"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "must be below the 100 households",
        ));
}
