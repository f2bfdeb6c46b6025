//! Invariants over random scenarios: rates in [0, 1], no NaN, households conserved.

use proptest::prelude::*;

use povsim::runner::{self, Silent};
use povsim::scenario::Source;

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

    /// Any `--set` argument gives a scenario or an error, never a panic.
    #[test]
    fn any_set_argument_is_handled(key in "[a-z_.]{0,40}", value in "\\PC{0,20}") {
        let arg = format!("{key}={value}");
        let _ = Source::new(None).set(&arg).and_then(|s| s.load());
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
            .flag("shocks.drought.probability_dry", prob, "test")
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
