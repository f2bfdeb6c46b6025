//! With every mechanism off but log-normal income, the simulated headcount matches the
//! normal CDF within Monte Carlo error.

use povsim::runner::{self, Silent};
use povsim::scenario::Source;
use povsim::stats::normal_cdf;

#[test]
fn headcount_matches_lognormal_cdf() {
    let (land, revenue, z): (f64, f64, f64) = (10.0, 1000.0, 4000.0);
    let (perm, rho, pers, trans): (f64, f64, f64, f64) = (0.5, 0.6, 0.3, 0.2);
    let mut src = Source::new(None);
    for set in [
        "simulation.households=20000",
        "simulation.replications=1",
        "simulation.years=1",
        "simulation.burn_in_years=0",
        "population.lifted_share=0",
        "population.marginal_share=0",
        "population.household_size_mean=1",
        "population.land_sigma=0",
        "population.assets_mean=0",
        "income.nominal_growth=0",
        "income.wage_mean=0",
        "income.other_transfers_per_capita=0",
        "income.farm_net_per_mu_dry=1000",
        "income.farm_net_per_mu_irrigated=1000",
        "demography.enabled=false",
        "shocks.illness.enabled=false",
        "shocks.hazards.drought.enabled=false",
        "shocks.hazards.hail.enabled=false",
        "shocks.hazards.frost.enabled=false",
        "shocks.hazards.sandstorm.enabled=false",
        "shocks.job_loss.enabled=false",
        "shocks.price.enabled=false",
        "policy.monitoring.enabled=false",
        "policy.industry.enabled=false",
        "policy.social_security.enabled=false",
        "policy.motivation.enabled=false",
    ] {
        src = src.set(set).unwrap();
    }
    src = src
        .flag("population.land_mean", land, "test")
        .flag("poverty_line.base", z, "test")
        .flag("population.permanent_sd", perm, "test")
        .flag("shocks.income.rho", rho, "test")
        .flag("shocks.income.persistent_sd", pers, "test")
        .flag("shocks.income.transitory_sd", trans, "test");
    let s = src.load().unwrap();
    let run = runner::run(&s, &Silent);
    let t = &run.replications[0].years[0];
    let headcount = t.all.poor_persons as f64 / t.all.persons as f64;
    // ln y ~ N(ln(land * revenue) - var/2, var), var = perm^2 + pers^2/(1-rho^2) + trans^2.
    let var = perm * perm + pers * pers / (1.0 - rho * rho) + trans * trans;
    let mu = (land * revenue).ln() - var / 2.0;
    let expected = normal_cdf((z.ln() - mu) / var.sqrt());
    let se = (expected * (1.0 - expected) / t.all.persons as f64).sqrt();
    assert!(
        (headcount - expected).abs() < 4.0 * se,
        "headcount {headcount} vs analytical {expected} (se {se})"
    );
    // And the test can fail: a wrong variance would be far off.
    let wrong = normal_cdf((z.ln() - mu) / (perm * perm).sqrt());
    assert!((headcount - wrong).abs() > 4.0 * se);
}
