//! The class policy game: groups split one budget among the four countermeasures of
//! the bundled study; every split runs on the same households and shocks as the
//! starting scenario (common random numbers), and the splits are ranked by returns
//! averted, with 95% intervals over replications, and by what they cost.
//!
//! What money buys: each countermeasure is its scenario of the study
//! (`scenarios/monitoring.toml`, `social_security.toml`, `industry.toml`,
//! `motivation.toml`) at a fraction of its strength. The full countermeasure's extra
//! cost a year is measured first, on the same households; a split that gives it `M`
//! CNY a year buys the fraction `min(1, M / cost)`, and each parameter the
//! countermeasure changes moves that fraction of the way from the starting value
//! (switches and names flip at half). The cost a split reports is measured, not this
//! estimate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{
    ClassroomError, DEFAULT_HOUSEHOLDS, MAX_HOUSEHOLDS, MIN_HOUSEHOLDS, request, villages,
};
use crate::compare;
use crate::runner::{Observer, Replication};
use crate::scenario::{Scenario, Source};
use crate::stats;

/// The countermeasures a budget is split among: id, label, scenario file.
pub const COUNTERMEASURES: [(&str, &str, &str); 4] = [
    (
        "monitoring",
        "monitoring and support",
        "builtin:monitoring.toml",
    ),
    (
        "social_security",
        "social security",
        "builtin:social_security.toml",
    ),
    ("industry", "industry support", "builtin:industry.toml"),
    (
        "motivation",
        "motivation incentives",
        "builtin:motivation.toml",
    ),
];

/// The most splits a game compares.
pub const MAX_SPLITS: usize = 12;
/// The most replications of a game.
pub const MAX_REPLICATIONS: u32 = 50;
/// The largest budget, CNY per household a year.
pub const MAX_BUDGET: f64 = 5_000.0;

/// A game as the page sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Game {
    /// The extra budget to split, CNY per household of the county a year.
    pub budget: f64,
    /// Replications (2 to [`MAX_REPLICATIONS`]; 10 by default).
    pub replications: Option<u32>,
    /// Households (the classroom's limits).
    pub households: Option<u64>,
    /// Seed (the scenario's by default).
    pub seed: Option<u64>,
    /// The groups' splits.
    pub splits: Vec<Split>,
}

/// One group's split: countermeasure id to its share of the budget (shares add up to
/// at most 1).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// The group's name.
    pub name: String,
    /// Shares by countermeasure id.
    pub shares: BTreeMap<String, f64>,
}

/// A difference from the starting scenario with its 95% interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Estimate {
    fn of(s: &stats::Summary) -> Estimate {
        let (low, high) = s.ci.unwrap_or((s.mean, s.mean));
        Estimate {
            mean: s.mean,
            low,
            high,
        }
    }
}

/// One split's result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Rank by returns averted (1 is most).
    pub rank: usize,
    /// Rank by extra cost (1 is cheapest).
    pub cost_rank: usize,
    /// The split.
    pub split: Split,
    /// What the money bought of each countermeasure: the fraction of its strength.
    pub bought: BTreeMap<String, f64>,
    /// Return rate of lifted households, a year.
    pub return_rate: f64,
    /// Returns averted a year against the starting scenario.
    pub averted: Estimate,
    /// Extra cost a year (CNY) against the starting scenario.
    pub extra_cost: Estimate,
    /// Returns averted per million CNY of extra cost, if it costs more.
    pub averted_per_million: Option<f64>,
}

/// A played game.
#[derive(Debug, Clone, Serialize)]
pub struct Played {
    /// The starting scenario's return rate.
    pub baseline_return_rate: f64,
    /// Each full countermeasure's measured extra cost a year (CNY).
    pub full_cost: BTreeMap<String, f64>,
    /// The splits, ranked by returns averted.
    pub outcomes: Vec<Outcome>,
    /// Replications and households.
    pub replications: u32,
    /// Households.
    pub households: u64,
}

/// `variant`'s changes from `start`, taken `fraction` of the way, as `KEY=VALUE`.
fn part_of(start: &Scenario, variant: &Scenario, fraction: f64) -> Vec<String> {
    variant
        .differences(start)
        .into_iter()
        .filter(|(k, ..)| !k.starts_with("simulation."))
        .filter_map(|(key, to, from)| {
            let value = match (from.parse::<f64>(), to.parse::<f64>()) {
                (Ok(a), Ok(b)) if !from.contains('.') && !to.contains('.') => {
                    format!("{}", (a + fraction * (b - a)).round() as i64)
                }
                (Ok(a), Ok(b)) => format!("{}", a + fraction * (b - a)),
                _ if fraction >= 0.5 => to,
                _ => return None,
            };
            Some(format!("{key}={value}"))
        })
        .collect()
}

/// Play `game` on the scenario at `path` (the built-in baseline if `None`).
pub fn play(
    path: Option<PathBuf>,
    game: &Game,
    observer: &dyn Observer,
) -> Result<Played, ClassroomError> {
    let households = game.households.unwrap_or(DEFAULT_HOUSEHOLDS);
    if !(MIN_HOUSEHOLDS..=MAX_HOUSEHOLDS).contains(&households) {
        return Err(request(format!(
            "households = {households}: the game simulates {MIN_HOUSEHOLDS} to {MAX_HOUSEHOLDS} households"
        )));
    }
    let replications = game.replications.unwrap_or(10);
    if !(2..=MAX_REPLICATIONS).contains(&replications) {
        return Err(request(format!(
            "replications = {replications}: the game runs 2 to {MAX_REPLICATIONS} replications (intervals need two)"
        )));
    }
    if !game.budget.is_finite() || !(0.0..=MAX_BUDGET).contains(&game.budget) {
        return Err(request(format!(
            "budget = {}: must be from 0 to {MAX_BUDGET} CNY per household a year",
            game.budget
        )));
    }
    if game.splits.is_empty() || game.splits.len() > MAX_SPLITS {
        return Err(request(format!(
            "{} splits: a game compares 1 to {MAX_SPLITS} groups' splits",
            game.splits.len()
        )));
    }
    for s in &game.splits {
        let mut total = 0.0;
        for (id, share) in &s.shares {
            if !COUNTERMEASURES.iter().any(|(c, ..)| c == id) {
                let ids: Vec<&str> = COUNTERMEASURES.iter().map(|(c, ..)| *c).collect();
                return Err(request(format!(
                    "group `{}`: unknown countermeasure `{id}`; the countermeasures are {}",
                    s.name,
                    ids.join(", ")
                )));
            }
            if !share.is_finite() || !(0.0..=1.0).contains(share) {
                return Err(request(format!(
                    "group `{}`: the share of `{id}` = {share}: must be from 0 to 1",
                    s.name
                )));
            }
            total += share;
        }
        if total > 1.0 + 1e-9 {
            return Err(request(format!(
                "group `{}`: the shares add up to {total:.3}, more than the whole budget (1)",
                s.name
            )));
        }
    }
    let sized = |p: Option<&Path>| {
        let mut src = Source::new(p.map(Path::to_path_buf))
            .flag("simulation.households", households, "the game's households")
            .flag(
                "simulation.replications",
                replications,
                "the game's replications",
            )
            .flag(
                "simulation.villages",
                villages(households),
                "the classroom's villages",
            );
        if let Some(seed) = game.seed {
            src = src.flag("simulation.seed", seed, "the game's seed");
        }
        src
    };
    let start_source = sized(path.as_deref());
    let start = start_source.load()?;
    let seed = start.params.simulation.seed;
    let same = |src: Source| src.flag("simulation.seed", seed, "the starting scenario's seed");

    // The full countermeasures' extra costs, on the same households.
    let mut full = vec![start.clone()];
    for (_, _, file) in COUNTERMEASURES {
        full.push(same(sized(Some(Path::new(file)))).load()?);
    }
    let measured = compare::run(full.clone(), None, false, observer);
    let cost = |arm: usize| {
        let base = compare::replication_values(&measured.arms[0].replications, "cost_total");
        let v = compare::replication_values(&measured.arms[arm].replications, "cost_total");
        stats::summarize(&base.iter().zip(&v).map(|(b, v)| v - b).collect::<Vec<_>>()).mean
    };
    let full_cost: BTreeMap<String, f64> = COUNTERMEASURES
        .iter()
        .enumerate()
        .map(|(k, (id, ..))| (id.to_string(), cost(k + 1)))
        .collect();

    // Each split as a scenario.
    let money = game.budget * households as f64;
    let mut arms = vec![start.clone()];
    let mut bought_all = Vec::new();
    for s in &game.splits {
        let mut src = same(start_source.clone());
        let mut bought = BTreeMap::new();
        for (k, (id, ..)) in COUNTERMEASURES.iter().enumerate() {
            let share = s.shares.get(*id).copied().unwrap_or(0.0);
            let price = full_cost[*id];
            let fraction = if share <= 0.0 {
                0.0
            } else if price <= 0.0 {
                1.0
            } else {
                (share * money / price).min(1.0)
            };
            bought.insert(id.to_string(), fraction);
            if fraction > 0.0 {
                for arg in part_of(&start, &full[k + 1], fraction) {
                    src = src.set_from(&arg, &format!("group `{}`'s split", s.name))?;
                }
            }
        }
        arms.push(src.load()?);
        bought_all.push(bought);
    }
    let played = compare::run(arms, None, false, observer);
    if played.cancelled {
        return Err(request("the game was interrupted"));
    }
    let base = &played.arms[0].replications;
    let rate = |reps: &[Replication]| {
        stats::summarize(&compare::replication_values(reps, "return_rate")).mean
    };
    let mut outcomes: Vec<Outcome> = game
        .splits
        .iter()
        .zip(bought_all)
        .zip(&played.arms[1..])
        .map(|((split, bought), arm)| {
            let diff = |metric: &str| {
                compare::difference(
                    &compare::replication_values(base, metric),
                    &compare::replication_values(&arm.replications, metric),
                    false,
                )
                .diff
            };
            let returns = diff("returns");
            let averted = Estimate {
                mean: -returns.mean,
                low: -returns.ci.map_or(returns.mean, |c| c.1),
                high: -returns.ci.map_or(returns.mean, |c| c.0),
            };
            let extra_cost = Estimate::of(&diff("cost_total"));
            Outcome {
                rank: 0,
                cost_rank: 0,
                split: split.clone(),
                bought,
                return_rate: rate(&arm.replications),
                averted,
                extra_cost,
                averted_per_million: (extra_cost.mean > 0.0)
                    .then(|| averted.mean / (extra_cost.mean / 1e6)),
            }
        })
        .collect();
    let mut by_cost: Vec<usize> = (0..outcomes.len()).collect();
    by_cost.sort_by(|&a, &b| {
        outcomes[a]
            .extra_cost
            .mean
            .total_cmp(&outcomes[b].extra_cost.mean)
    });
    for (r, &i) in by_cost.iter().enumerate() {
        outcomes[i].cost_rank = r + 1;
    }
    outcomes.sort_by(|a, b| b.averted.mean.total_cmp(&a.averted.mean));
    for (r, o) in outcomes.iter_mut().enumerate() {
        o.rank = r + 1;
    }
    Ok(Played {
        baseline_return_rate: rate(base),
        full_cost,
        outcomes,
        replications,
        households,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Silent;

    fn game(json: &str) -> Result<Played, ClassroomError> {
        play(None, &serde_json::from_str(json).unwrap(), &Silent)
    }

    #[test]
    fn two_splits_are_ranked_on_common_shocks_and_money_buys_strength() {
        let played = game(
            r#"{"budget": 400, "replications": 4, "households": 400, "splits": [
                {"name": "all monitoring", "shares": {"monitoring": 1.0}},
                {"name": "nothing", "shares": {}}]}"#,
        )
        .unwrap();
        assert_eq!(played.outcomes.len(), 2);
        let nothing = played
            .outcomes
            .iter()
            .find(|o| o.split.name == "nothing")
            .unwrap();
        // An empty split is the starting scenario: the same shocks, no difference.
        assert_eq!((nothing.averted.mean, nothing.extra_cost.mean), (0.0, 0.0));
        assert_eq!(nothing.return_rate, played.baseline_return_rate);
        let all = played
            .outcomes
            .iter()
            .find(|o| o.split.name == "all monitoring")
            .unwrap();
        assert!(all.bought["monitoring"] > 0.0 && all.bought["industry"] == 0.0);
        assert!(all.extra_cost.mean > 0.0, "{:?}", all.extra_cost);
        assert!(played.full_cost["monitoring"] > 0.0);
        let ranks: Vec<usize> = played.outcomes.iter().map(|o| o.rank).collect();
        assert_eq!(ranks, [1, 2]);
        assert!(played.outcomes[0].averted.mean >= played.outcomes[1].averted.mean);
    }

    #[test]
    fn a_fraction_moves_each_changed_parameter_part_of_the_way() {
        let start = Source::new(None).load().unwrap();
        let variant = Source::new(Some("builtin:motivation.toml".into()))
            .load()
            .unwrap();
        let half = part_of(&start, &variant, 0.5);
        assert!(
            half.contains(&"policy.motivation.conditional_share=0.25".to_string()),
            "{half:?}"
        );
        assert!(part_of(&start, &variant, 0.0).iter().all(|a| {
            let (k, v) = a.split_once('=').unwrap();
            start
                .number(k)
                .is_none_or(|n| (n - v.parse::<f64>().unwrap()).abs() < 1e-12)
        }));
    }

    #[test]
    fn bad_games_are_refused_with_a_clear_message() {
        for (json, want) in [
            (
                r#"{"budget": -1, "splits": [{"name": "a", "shares": {}}]}"#,
                "budget = -1",
            ),
            (r#"{"budget": 100, "splits": []}"#, "0 splits"),
            (
                r#"{"budget": 100, "splits": [{"name": "a", "shares": {"roads": 0.5}}]}"#,
                "unknown countermeasure `roads`",
            ),
            (
                r#"{"budget": 100, "splits": [{"name": "a", "shares": {"monitoring": 0.7, "industry": 0.6}}]}"#,
                "add up to 1.300",
            ),
            (
                r#"{"budget": 100, "replications": 1, "splits": [{"name": "a", "shares": {}}]}"#,
                "2 to 50 replications",
            ),
        ] {
            let e = game(json)
                .err()
                .unwrap_or_else(|| panic!("{json} accepted"))
                .to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
    }
}
