//! Invariants over random scenarios: rates in [0, 1], no NaN, households conserved.

use proptest::prelude::*;

use povsim::runner::{self, Silent};
use povsim::scenario::{Scenario, Source};
use std::collections::BTreeMap;

/// The resolved scenario as a flat map of dotted keys.
fn resolved(s: &Scenario) -> BTreeMap<String, toml::Value> {
    let table: toml::Table = s.to_toml().unwrap().parse().unwrap();
    let mut flat = BTreeMap::new();
    povsim::scenario::tree::flatten_value("", &toml::Value::Table(table), &mut flat);
    flat
}

/// VALUE as TOML reads it, or as a bare string where TOML does not.
fn as_toml(value: &str) -> toml::Value {
    match format!("v = {}", value.trim()).parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap(),
        Err(_) => toml::Value::String(value.trim().to_string()),
    }
}

/// Equal values, an integer and a float being equal when they are the same number.
fn same_value(got: &toml::Value, want: &toml::Value) -> bool {
    use toml::Value::{Float, Integer};
    match (got, want) {
        (Float(a), Integer(b)) | (Integer(b), Float(a)) => *a == *b as f64,
        (a, b) => a == b,
    }
}

/// A `--set` argument: a real key (most of the time), a real key with a typo, or a
/// random one; a value of each type the scenario uses, an allowed string, or noise.
fn set_argument() -> impl Strategy<Value = (String, String)> {
    let base = resolved(&Source::new(None).load().unwrap());
    let keys: Vec<String> = base.keys().cloned().collect();
    let strings: Vec<String> = base
        .values()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let typo = proptest::sample::select(keys.clone()).prop_map(|k| format!("{k}s"));
    let key = prop_oneof![
        6 => proptest::sample::select(keys),
        1 => typo,
        1 => "[a-z_.]{0,40}",
    ];
    let value = prop_oneof![
        2 => (-2.0f64..3.0).prop_map(|x| format!("{x}")),
        1 => (0u64..100_000).prop_map(|n| n.to_string()),
        1 => proptest::sample::select(vec![
            "true", "false", "0", "1", "-1", "nan", "inf", "1e400", "\"x\"", "", "[1, 2]",
            "{a = 1}", "2026-01-01",
        ])
        .prop_map(str::to_string),
        1 => proptest::sample::select(strings),
        1 => "\\PC{0,20}",
    ];
    (key, value)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rates_bounded_finite_and_households_conserved(
        seed in 0u64..1_000_000,
        households in 1u64..400,
        illness in 0.0f64..=1.0,
        detection in 0.0f64..=1.0,
        coverage in 0.0f64..=1.0,
        monitoring in any::<bool>(),
        budget in 0.0f64..2000.0,
        separation in 0.0f64..=1.0,
    ) {
        let s = Source::new(None)
            .flag("simulation.seed", seed, "test")
            .flag("simulation.households", households, "test")
            .flag("simulation.replications", 2, "test")
            .flag("simulation.years", 3, "test")
            .flag("shocks.illness.probability", illness, "test")
            .flag("policy.monitoring.detection_rate", detection, "test")
            .flag("policy.monitoring.enabled", monitoring, "test")
            .flag("policy.monitoring.budget_per_household", budget, "test")
            .flag("policy.social_security.dibao.coverage", coverage, "test")
            .flag("income.job_separation", separation, "test")
            .load()
            .unwrap();
        let run = runner::run(&s, &Silent);
        for rep in &run.replications {
            for y in &rep.years {
                prop_assert_eq!(y.households, households);
                for (name, v) in y.metrics() {
                    prop_assert!(v.is_finite(), "{} = {}", name, v);
                    if name.ends_with("_rate") || name.ends_with("gap") {
                        prop_assert!((0.0..=1.0).contains(&v), "{} = {}", name, v);
                    }
                }
                prop_assert!(y.returns <= y.lifted_at_risk);
                prop_assert!(y.served <= y.detected);
            }
            for (name, v) in povsim::metrics::summary(&rep.years, &rep.panel) {
                prop_assert!(v.is_finite(), "{} = {}", name, v);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any `--set KEY=VALUE` is either accepted, and then the resolved scenario holds
    /// VALUE at KEY, or refused with an error that names KEY (which the CLI turns into
    /// exit 2). Keys are drawn from the scenario's own keys as well as at random, so
    /// that accepted arguments are common, not a rare accident.
    #[test]
    fn any_set_argument_is_accepted_as_given_or_refused_naming_its_key(
        (key, value) in set_argument(),
    ) {
        let arg = format!("{key}={value}");
        match Source::new(None).set(&arg).and_then(|s| s.load()) {
            Ok(s) => {
                let resolved = resolved(&s);
                let Some(got) = resolved.get(key.trim()) else {
                    return Err(TestCaseError::fail(format!(
                        "--set {arg} was accepted but the resolved scenario has no `{key}`"
                    )));
                };
                let want = as_toml(&value);
                prop_assert!(
                    same_value(got, &want),
                    "--set {} resolved to {:?}, not {:?}", arg, got, want
                );
            }
            Err(e) => {
                let message = e.to_string();
                let named = if key.trim().is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
                    message.contains("expected KEY=VALUE")
                } else {
                    message.contains(key.trim())
                };
                prop_assert!(named, "--set {}: the message does not name the key: {}", arg, message);
            }
        }
    }
    /// Extreme but valid values give finite outputs.
    #[test]
    fn extreme_valid_values_stay_finite(
        prob in prop_oneof![Just(0.0), Just(1.0)],
        cost in prop_oneof![Just(0.0), Just(1e9)],
        wage in prop_oneof![Just(0.0), Just(18000.0)],
    ) {
        let s = Source::new(None)
            .flag("simulation.households", 50, "test")
            .flag("simulation.years", 2, "test")
            .flag("simulation.replications", 1, "test")
            .flag("shocks.illness.probability", prob, "test")
            .flag("shocks.illness.cost_median", cost, "test")
            .flag("shocks.hazards.drought.probability_dry", prob, "test")
            .flag("policy.monitoring.detection_rate", prob, "test")
            .flag("income.wage_mean", wage, "test")
            .flag("income.other_transfers_per_capita", 0, "test")
            .load()
            .unwrap();
        let run = runner::run(&s, &Silent);
        let tables = povsim::output::Tables::new(&s, &run);
        for bytes in [tables.yearly_csv(), tables.summary_csv()] {
            let text = String::from_utf8(bytes.unwrap()).unwrap();
            prop_assert!(!text.contains("NaN") && !text.contains("inf"), "{}", text);
        }
    }
}
