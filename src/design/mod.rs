//! Experimental designs and sensitivity indices: full-factorial sweeps, Latin
//! hypercube samples, Morris elementary effects and Sobol indices.
//!
//! Designs live in the unit hypercube; [`Factor::value`] maps a coordinate to a
//! parameter value through the factor's inverse CDF. Estimators are pure functions of
//! the design and the outputs, tested on functions with known answers.

use serde::{Deserialize, Serialize};

use crate::rng::{self, Kind, Purpose, Stream};
use crate::stats;

/// A factor's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "lowercase", deny_unknown_fields)]
pub enum Distribution {
    /// Uniform on [low, high].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Triangular on [low, high] with its peak at `mode`.
    Triangular {
        /// Lower bound.
        low: f64,
        /// Peak.
        mode: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal(mean, sd) truncated to [low, high].
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

/// One uncertain parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// Dotted scenario key, or `dummy` for the noise factor.
    pub key: String,
    /// Its distribution.
    #[serde(flatten)]
    pub distribution: Distribution,
}

/// Name of the factor that changes nothing.
pub const DUMMY: &str = "dummy";

impl Factor {
    /// A factor that affects nothing, to show the noise floor of the indices.
    pub fn dummy() -> Factor {
        Factor {
            key: DUMMY.into(),
            distribution: Distribution::Uniform {
                low: 0.0,
                high: 1.0,
            },
        }
    }

    /// The parameter value at unit coordinate `u` in [0, 1].
    pub fn value(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self.distribution {
            Distribution::Uniform { low, high } => low + u * (high - low),
            Distribution::Triangular { low, mode, high } => {
                let c = if high > low {
                    (mode - low) / (high - low)
                } else {
                    0.5
                };
                if u < c {
                    low + (u * (high - low) * (mode - low)).sqrt()
                } else {
                    high - ((1.0 - u) * (high - low) * (high - mode)).sqrt()
                }
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                if sd <= 0.0 {
                    return mean.clamp(low, high);
                }
                let a = stats::normal_cdf((low - mean) / sd);
                let b = stats::normal_cdf((high - mean) / sd);
                let p = a + u * (b - a);
                (mean + sd * normal_quantile(p)).clamp(low, high)
            }
        }
    }

    /// The unit coordinate of parameter value `v`: the inverse of [`Factor::value`]
    /// (the distribution's CDF), `None` outside the range.
    pub fn unit(&self, v: f64) -> Option<f64> {
        let within = |low: f64, high: f64| (low..=high).contains(&v);
        match self.distribution {
            Distribution::Uniform { low, high } if within(low, high) => Some(if high > low {
                (v - low) / (high - low)
            } else {
                0.5
            }),
            Distribution::Triangular { low, mode, high } if within(low, high) => {
                if high <= low {
                    Some(0.5)
                } else if v < mode {
                    Some((v - low).powi(2) / ((high - low) * (mode - low)))
                } else {
                    Some(1.0 - (high - v).powi(2) / ((high - low) * (high - mode)))
                }
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } if within(low, high) => {
                if sd <= 0.0 {
                    return Some(0.5);
                }
                let a = stats::normal_cdf((low - mean) / sd);
                let b = stats::normal_cdf((high - mean) / sd);
                Some((stats::normal_cdf((v - mean) / sd) - a) / (b - a))
            }
            _ => None,
        }
    }

    /// Check the distribution; the message names what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let ok = match self.distribution {
            Distribution::Uniform { low, high } => {
                low.is_finite() && high.is_finite() && low <= high
            }
            Distribution::Triangular { low, mode, high } => {
                low.is_finite() && high.is_finite() && low <= mode && mode <= high
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => mean.is_finite() && sd.is_finite() && sd >= 0.0 && low < high,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "factor `{}`: need finite bounds with low <= (mode) <= high and sd >= 0",
                self.key
            ))
        }
    }
}

/// The standard normal quantile (`statrs`), `p` clamped to [1e-15, 1 - 1e-15].
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(p.clamp(1e-15, 1.0 - 1e-15))
}

/// The stream of one kind of design (`which`) for `seed`.
fn design_stream(seed: u64, which: u64) -> Stream {
    rng::stream(seed, 0, Kind::Design, which, 0, Purpose::new("design"))
}

/// Latin hypercube sample of `n` points in `k` dimensions: in every dimension each of
/// the `n` strata [i/n, (i+1)/n) holds exactly one point (McKay, Beckman, Conover 1979).
pub fn latin_hypercube(n: usize, k: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut s = design_stream(seed, 1);
    let mut points = vec![vec![0.0; k]; n];
    for j in 0..k {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let r = (rng::uniform(&mut s) * (i + 1) as f64) as usize;
            perm.swap(i, r.min(i));
        }
        for (i, p) in points.iter_mut().enumerate() {
            p[j] = (perm[i] as f64 + rng::uniform(&mut s)) / n as f64;
        }
    }
    points
}

/// Morris trajectories: `r` trajectories of `k + 1` points on a `levels`-level grid,
/// each step moving one factor by `Δ = levels / (2 (levels − 1))` (Morris 1991,
/// Technometrics 33; Campolongo, Cariboni, Saltelli 2007).
pub fn morris(r: usize, k: usize, levels: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut s = design_stream(seed, 2);
    let levels = levels.max(2);
    let delta = levels as f64 / (2.0 * (levels as f64 - 1.0));
    let mut points = Vec::with_capacity(r * (k + 1));
    for _ in 0..r {
        // A base point whose coordinates leave room for +Δ or −Δ.
        let steps = levels / 2;
        let mut x: Vec<f64> = (0..k)
            .map(|_| {
                let l = (rng::uniform(&mut s) * steps as f64) as usize;
                l.min(steps - 1) as f64 / (levels as f64 - 1.0)
            })
            .collect();
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            let j = ((rng::uniform(&mut s) * (i + 1) as f64) as usize).min(i);
            order.swap(i, j);
        }
        let up: Vec<bool> = (0..k).map(|_| rng::uniform(&mut s) < 0.5).collect();
        // Start high for factors that step down.
        for j in 0..k {
            if !up[j] {
                x[j] += delta;
            }
        }
        points.push(x.clone());
        for &j in &order {
            x[j] += if up[j] { delta } else { -delta };
            points.push(x.clone());
        }
    }
    points
}

/// Morris indices from `morris` points and outputs: for each factor, the mean `mu`,
/// mean absolute value `mu_star` and standard deviation `sigma` of its elementary
/// effects `(y(x + Δe_j) − y(x)) / Δ` (in unit coordinates).
pub fn morris_indices(points: &[Vec<f64>], y: &[f64], k: usize) -> Vec<(f64, f64, f64)> {
    let mut effects = vec![Vec::new(); k];
    for t in points.chunks(k + 1).zip(y.chunks(k + 1)) {
        let (xs, ys) = t;
        for i in 0..xs.len().saturating_sub(1) {
            let (a, b) = (&xs[i], &xs[i + 1]);
            if let Some(j) = (0..k).find(|&j| (a[j] - b[j]).abs() > 1e-12) {
                let d = b[j] - a[j];
                effects[j].push((ys[i + 1] - ys[i]) / d);
            }
        }
    }
    effects
        .iter()
        .map(|e| {
            let n = e.len().max(1) as f64;
            let mu = e.iter().sum::<f64>() / n;
            let mu_star = e.iter().map(|v| v.abs()).sum::<f64>() / n;
            let sigma = stats::summarize(e).sd.unwrap_or(0.0);
            (mu, mu_star, sigma)
        })
        .collect()
}

/// Saltelli's design for Sobol indices: matrices A and B of `n` rows each, the first
/// and last `k` columns of an Owen-scrambled Sobol' sequence in `2k` dimensions (Burley
/// 2020, the `sobol_burley` crate, scrambled by `seed`), then for each factor `j` the
/// matrix A with column `j` from B. Points are ordered A, B, AB_1 .. AB_k (Saltelli et
/// al. 2010, Comput. Phys. Commun. 181). Low-discrepancy base points make the indices
/// converge faster than random ones, best when `n` is a power of two.
pub fn saltelli(n: usize, k: usize, seed: u64) -> Vec<Vec<f64>> {
    saltelli_from(&sobol_points(n, 2 * k, seed), k)
}

/// The first `n` points of an Owen-scrambled Sobol' sequence in `dims` dimensions, in
/// [0, 1). `sobol_burley` has 256 dimensions a seed; dimension `d` uses block `d / 256`
/// of seeds, so any number of dimensions works. The scalar path only, so every CPU gives
/// the same points.
pub fn sobol_points(n: usize, dims: usize, seed: u64) -> Vec<Vec<f64>> {
    let per = sobol_burley::NUM_DIMENSIONS as usize;
    (0..n)
        .map(|i| {
            (0..dims)
                .map(|d| {
                    let block = rng::mix(seed ^ rng::mix((d / per) as u64 + 0xD351_6E04));
                    f64::from(sobol_burley::sample(
                        i as u32,
                        (d % per) as u32,
                        block as u32,
                    ))
                })
                .collect()
        })
        .collect()
}

/// Saltelli's A, B, AB_1 .. AB_k from base points of `2k` columns.
fn saltelli_from(base: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let n = base.len();
    let a: Vec<Vec<f64>> = base.iter().map(|r| r[..k].to_vec()).collect();
    let b: Vec<Vec<f64>> = base.iter().map(|r| r[k..].to_vec()).collect();
    let mut points = a.clone();
    points.extend(b.iter().cloned());
    for j in 0..k {
        for i in 0..n {
            let mut row = a[i].clone();
            row[j] = b[i][j];
            points.push(row);
        }
    }
    points
}

/// First-order and total Sobol indices from outputs on a [`saltelli`] design:
/// `S1_j = mean(f_B (f_ABj − f_A)) / V` (Saltelli 2010) and
/// `ST_j = mean((f_A − f_ABj)²) / (2V)` (Jansen 1999), with `V` the variance of
/// `[f_A, f_B]`. Returns `(S1, ST)` per factor.
pub fn sobol_indices(y: &[f64], n: usize, k: usize) -> Vec<(f64, f64)> {
    sobol_from(y, n, k, &(0..n).collect::<Vec<_>>())
}

fn sobol_from(y: &[f64], n: usize, k: usize, rows: &[usize]) -> Vec<(f64, f64)> {
    // Outputs are centred on the mean of f_A and f_B first: the first-order estimator
    // mean(f_B (f_ABj − f_A)) is not invariant to a shift of the output, and a metric
    // such as a return rate sits far from zero compared with its spread, where the
    // uncentred estimator is mostly noise (SALib centres too; tests/clients checks it).
    let fa0: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    let fb0: Vec<f64> = rows.iter().map(|&i| y[n + i]).collect();
    let all: Vec<f64> = fa0.iter().chain(&fb0).copied().collect();
    let centre = stats::summarize(&all);
    let var = centre.sd.map_or(0.0, |s| s * s);
    let c = centre.mean;
    let fa: Vec<f64> = fa0.iter().map(|v| v - c).collect();
    let fb: Vec<f64> = fb0.iter().map(|v| v - c).collect();
    let m = rows.len() as f64;
    (0..k)
        .map(|j| {
            if var <= 0.0 {
                return (0.0, 0.0);
            }
            let fab: Vec<f64> = rows.iter().map(|&i| y[(2 + j) * n + i] - c).collect();
            let s1 = fb
                .iter()
                .zip(&fab)
                .zip(&fa)
                .map(|((b, ab), a)| b * (ab - a))
                .sum::<f64>()
                / m
                / var;
            let st = fa
                .iter()
                .zip(&fab)
                .map(|(a, ab)| (a - ab).powi(2))
                .sum::<f64>()
                / m
                / (2.0 * var);
            (s1, st)
        })
        .collect()
}

/// Bootstrap 95% percentile intervals of the Sobol indices, resampling rows of the
/// design `resamples` times (Archer, Saltelli, Sobol 1997).
pub fn sobol_bootstrap(
    y: &[f64],
    n: usize,
    k: usize,
    resamples: usize,
    seed: u64,
) -> Vec<((f64, f64), (f64, f64))> {
    let mut s = design_stream(seed, 3);
    let mut s1 = vec![Vec::with_capacity(resamples); k];
    let mut st = vec![Vec::with_capacity(resamples); k];
    for _ in 0..resamples {
        let rows: Vec<usize> = (0..n)
            .map(|_| ((rng::uniform(&mut s) * n as f64) as usize).min(n - 1))
            .collect();
        for (j, (a, b)) in sobol_from(y, n, k, &rows).into_iter().enumerate() {
            s1[j].push(a);
            st[j].push(b);
        }
    }
    let pct = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        (at(0.025), at(0.975))
    };
    (0..k).map(|j| (pct(&mut s1[j]), pct(&mut st[j]))).collect()
}

/// Standardised regression coefficients of `y` on the columns of `x` (least squares on
/// standardised variables), and Spearman rank correlations of each column with `y`.
pub fn regression_indices(x: &[Vec<f64>], y: &[f64]) -> Vec<(f64, f64)> {
    let k = x.first().map_or(0, Vec::len);
    let n = y.len();
    let standard = |v: &[f64]| {
        let s = stats::summarize(v);
        let sd = s.sd.filter(|d| *d > 0.0).unwrap_or(1.0);
        v.iter().map(|x| (x - s.mean) / sd).collect::<Vec<f64>>()
    };
    let cols: Vec<Vec<f64>> = (0..k)
        .map(|j| standard(&x.iter().map(|r| r[j]).collect::<Vec<_>>()))
        .collect();
    let ys = standard(y);
    // Least squares by the singular value decomposition (`nalgebra`): a factor that
    // does not vary (a column of zeros) gets a coefficient of 0, not a failure.
    let design = nalgebra::DMatrix::from_fn(n, k, |i, j| cols[j][i]);
    let target = nalgebra::DVector::from_column_slice(&ys);
    let src: Vec<f64> = design
        .svd(true, true)
        .solve(&target, 1e-12)
        .map(|b| b.iter().copied().collect())
        .unwrap_or_else(|_| vec![0.0; k]);
    let rank = |v: &[f64]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        for (pos, &i) in idx.iter().enumerate() {
            r[i] = pos as f64;
        }
        r
    };
    let ry = rank(y);
    (0..k)
        .map(|j| {
            let rx = rank(&x.iter().map(|r| r[j]).collect::<Vec<_>>());
            (src.get(j).copied().unwrap_or(0.0), correlation(&rx, &ry))
        })
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let (sa, sb) = (stats::summarize(a), stats::summarize(b));
    let (Some(da), Some(db)) = (sa.sd, sb.sd) else {
        return 0.0;
    };
    if da == 0.0 || db == 0.0 {
        return 0.0;
    }
    let n = a.len() as f64;
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - sa.mean) * (y - sb.mean))
        .sum::<f64>()
        / (n - 1.0)
        / da
        / db
}

/// The `n` values of a sweep from `lo` to `hi`, built from an index (`lo + i·step`) so
/// that they are exact decimal steps, not accumulated float sums.
pub fn sweep_values(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n <= 1 {
        return vec![lo];
    }
    let step = (hi - lo) / (n - 1) as f64;
    (0..n)
        .map(|i| {
            let v = lo + i as f64 * step;
            // Round away representation noise: 12 significant digits.
            let digits = 12 - v.abs().max(1e-300).log10().ceil() as i32;
            let scale = 10f64.powi(digits.clamp(0, 15));
            (v * scale).round() / scale
        })
        .collect()
}

/// Every combination of the given value lists (full factorial), last factor fastest.
pub fn full_factorial(values: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new()];
    for vals in values {
        let mut next = Vec::with_capacity(out.len() * vals.len());
        for prefix in &out {
            for v in vals {
                let mut p = prefix.clone();
                p.push(*v);
                next.push(p);
            }
        }
        out = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ishigami(x: &[f64]) -> f64 {
        let pi = std::f64::consts::PI;
        let (a, b) = (7.0, 0.1);
        let v: Vec<f64> = x.iter().map(|u| -pi + 2.0 * pi * u).collect();
        v[0].sin() + a * v[1].sin().powi(2) + b * v[2].powi(4) * v[0].sin()
    }

    #[test]
    fn unit_inverts_value_for_every_distribution() {
        let factor = |distribution| Factor {
            key: "k".into(),
            distribution,
        };
        let factors = [
            factor(Distribution::Uniform {
                low: 2.0,
                high: 6.0,
            }),
            factor(Distribution::Triangular {
                low: 0.0,
                mode: 1.0,
                high: 4.0,
            }),
            factor(Distribution::Normal {
                mean: 1.0,
                sd: 0.5,
                low: 0.2,
                high: 2.5,
            }),
        ];
        for f in &factors {
            for u in [0.0, 0.1, 0.37, 0.5, 0.9, 1.0] {
                let back = f.unit(f.value(u)).unwrap();
                assert!(
                    (back - u).abs() < 1e-6,
                    "{:?}: {u} -> {back}",
                    f.distribution
                );
            }
        }
        assert_eq!(factors[0].unit(6.5), None, "outside the range");
        assert_eq!(factors[2].unit(0.1), None);
    }

    #[test]
    fn sobol_recovers_ishigami_indices() {
        let (n, k) = (20_000, 3);
        let pts = saltelli(n, k, 11);
        let y: Vec<f64> = pts.iter().map(|p| ishigami(p)).collect();
        let idx = sobol_indices(&y, n, k);
        let s1 = [0.314, 0.442, 0.0];
        let st = [0.558, 0.442, 0.244];
        for j in 0..k {
            assert!((idx[j].0 - s1[j]).abs() < 0.03, "S1[{j}] = {}", idx[j].0);
            assert!((idx[j].1 - st[j]).abs() < 0.03, "ST[{j}] = {}", idx[j].1);
        }
        let ci = sobol_bootstrap(&y, n, k, 100, 3);
        for j in 0..k {
            assert!(ci[j].1.0 <= idx[j].1 && idx[j].1 <= ci[j].1.1);
        }
    }

    /// Mean absolute error of the Ishigami indices (S1 and ST of the three factors)
    /// from a Saltelli design on `base` points.
    fn ishigami_error(base: &[Vec<f64>]) -> f64 {
        let (n, k) = (base.len(), 3);
        let y: Vec<f64> = saltelli_from(base, k).iter().map(|p| ishigami(p)).collect();
        let exact = [(0.3139, 0.5576), (0.4424, 0.4424), (0.0, 0.2437)];
        sobol_indices(&y, n, k)
            .iter()
            .zip(exact)
            .map(|((s1, st), (e1, et))| (s1 - e1).abs() + (st - et).abs())
            .sum::<f64>()
            / 6.0
    }

    #[test]
    fn sobol_points_give_smaller_ishigami_errors_than_random_ones() {
        // At 256 and 1024 base points, averaged over 12 seeds: Owen-scrambled Sobol'
        // base points against a Latin hypercube (the design before) and plain random.
        for n in [256, 1024] {
            let seeds = 0..12u64;
            let mean = |f: &dyn Fn(u64) -> Vec<Vec<f64>>| {
                seeds.clone().map(|s| ishigami_error(&f(s))).sum::<f64>() / 12.0
            };
            let sobol = mean(&|s| sobol_points(n, 6, s));
            let lhs = mean(&|s| latin_hypercube(n, 6, s));
            let random = mean(&|s| {
                let mut st = design_stream(s, 9);
                (0..n)
                    .map(|_| (0..6).map(|_| rng::uniform(&mut st)).collect())
                    .collect()
            });
            assert!(
                sobol < lhs && sobol < random,
                "n = {n}: sobol {sobol:.4}, lhs {lhs:.4}, random {random:.4}"
            );
        }
    }

    #[test]
    fn sobol_points_are_balanced_and_depend_on_the_seed() {
        let pts = sobol_points(64, 300, 1);
        // Any dimension, even past the crate's 256: each of the 64 strata once.
        for d in [0, 5, 255, 256, 299] {
            let mut seen = [false; 64];
            for p in &pts {
                assert!((0.0..1.0).contains(&p[d]));
                seen[(p[d] * 64.0) as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "dimension {d}");
        }
        assert_ne!(sobol_points(4, 2, 1), sobol_points(4, 2, 2));
        assert_eq!(sobol_points(4, 2, 1), sobol_points(4, 2, 1));
    }

    #[test]
    fn morris_on_a_linear_function() {
        let coef = [3.0, -2.0, 0.0, 0.5];
        let k = coef.len();
        let pts = morris(20, k, 4, 5);
        let y: Vec<f64> = pts
            .iter()
            .map(|p| p.iter().zip(&coef).map(|(x, c)| x * c).sum())
            .collect();
        let idx = morris_indices(&pts, &y, k);
        for j in 0..k {
            assert!((idx[j].0 - coef[j]).abs() < 1e-9, "mu[{j}] = {}", idx[j].0);
            assert!((idx[j].1 - coef[j].abs()).abs() < 1e-9);
            assert!(idx[j].2 < 1e-9, "a linear function has no interaction");
        }
        for p in &pts {
            assert!(
                p.iter().all(|x| (-1e-12..=1.0 + 1e-12).contains(x)),
                "{p:?}"
            );
        }
    }

    #[test]
    fn latin_hypercube_puts_one_point_in_each_stratum() {
        let (n, k) = (37, 5);
        let pts = latin_hypercube(n, k, 9);
        for j in 0..k {
            let mut seen = vec![false; n];
            for p in &pts {
                let s = (p[j] * n as f64) as usize;
                assert!(!seen[s], "stratum {s} of dimension {j} twice");
                seen[s] = true;
            }
        }
    }

    #[test]
    fn sweep_values_are_exact_decimal_steps() {
        assert_eq!(sweep_values(0.1, 0.9, 5), vec![0.1, 0.3, 0.5, 0.7, 0.9]);
        assert_eq!(sweep_values(0.0, 1.0, 11)[3], 0.3);
        assert_eq!(full_factorial(&[vec![1.0, 2.0], vec![3.0, 4.0]]).len(), 4);
    }

    #[test]
    fn regression_indices_rank_factors() {
        let pts = latin_hypercube(500, 3, 2);
        let y: Vec<f64> = pts.iter().map(|p| 5.0 * p[0] + 1.0 * p[1]).collect();
        let idx = regression_indices(&pts, &y);
        assert!(
            idx[0].0 > 0.9 && idx[1].0 > 0.1 && idx[2].0.abs() < 0.05,
            "{idx:?}"
        );
        assert!(idx[0].1 > idx[1].1 && idx[2].1.abs() < 0.15);
    }

    #[test]
    fn distributions_map_the_unit_interval() {
        let t = Factor {
            key: "x".into(),
            distribution: Distribution::Triangular {
                low: 0.0,
                mode: 1.0,
                high: 4.0,
            },
        };
        assert!(
            (t.value(0.25) - 1.0).abs() < 1e-12,
            "the mode at its CDF value 1/4"
        );
        let n = Factor {
            key: "x".into(),
            distribution: Distribution::Normal {
                mean: 0.0,
                sd: 1.0,
                low: -1.0,
                high: 1.0,
            },
        };
        assert!(n.value(0.5).abs() < 1e-6 && n.value(0.0) >= -1.0 && n.value(1.0) <= 1.0);
    }
}
