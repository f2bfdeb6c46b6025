//! Summaries over replications: mean, standard deviation and Student-t intervals.

/// Mean, sample standard deviation and 95% t-interval of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Sample size.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation; `None` when n < 2.
    pub sd: Option<f64>,
    /// 95% interval for the mean; `None` when n < 2 (an empty interval, not NaN).
    pub ci: Option<(f64, f64)>,
}

/// Summarise a sample, summing in the given order.
///
/// The interval is `mean ± t_{0.975, n-1} · sd / √n` (Student 1908; e.g. Casella and
/// Berger, *Statistical Inference*, 2nd ed., section 9.2).
pub fn summarize(xs: &[f64]) -> Summary {
    let n = xs.len();
    if n == 0 {
        return Summary {
            n,
            mean: 0.0,
            sd: None,
            ci: None,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Summary {
            n,
            mean,
            sd: None,
            ci: None,
        };
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let half = t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
    Summary {
        n,
        mean,
        sd: Some(sd),
        ci: Some((mean - half, mean + half)),
    }
}

/// A paired comparison of two samples over the same replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Summary of the differences `variant - base`, with their 95% t-interval.
    pub diff: Summary,
    /// Two-sided p-value of the paired t-test of a zero mean difference; `None` when
    /// n < 2.
    pub p_value: Option<f64>,
}

/// Paired differences `variant[i] - base[i]`: the mean difference, its 95% t-interval
/// and the paired t-test, `t = mean / (sd / √n)` with n − 1 degrees of freedom
/// (Student 1908; e.g. Casella and Berger, *Statistical Inference*, 2nd ed., 8.3 and
/// 9.2). Identical samples give a zero difference with a zero-width interval and
/// p = 1.
///
/// # Panics
///
/// Never: samples of different lengths are compared over the shorter one.
pub fn paired(base: &[f64], variant: &[f64]) -> Paired {
    let diffs: Vec<f64> = base.iter().zip(variant).map(|(b, v)| v - b).collect();
    let diff = summarize(&diffs);
    let p_value = match diff.sd {
        None => None,
        Some(sd) if sd <= 0.0 => Some(if diff.mean == 0.0 { 1.0 } else { 0.0 }),
        Some(sd) => {
            let t = diff.mean / (sd / (diff.n as f64).sqrt());
            Some((2.0 * (1.0 - t_cdf(t.abs(), (diff.n - 1) as f64))).clamp(0.0, 1.0))
        }
    };
    Paired { diff, p_value }
}

/// Unpaired comparison of independent samples: difference of means with Welch's
/// interval, `se = √(s_b²/n_b + s_v²/n_v)` and Welch–Satterthwaite degrees of freedom
/// (Welch 1947, Biometrika 34). Used to show what common random numbers save.
pub fn welch(base: &[f64], variant: &[f64]) -> Paired {
    let b = summarize(base);
    let v = summarize(variant);
    let mean = v.mean - b.mean;
    let n = b.n.min(v.n);
    let (Some(sb), Some(sv)) = (b.sd, v.sd) else {
        return Paired {
            diff: Summary {
                n,
                mean,
                sd: None,
                ci: None,
            },
            p_value: None,
        };
    };
    let (qb, qv) = (sb * sb / b.n as f64, sv * sv / v.n as f64);
    let se = (qb + qv).sqrt();
    if se == 0.0 {
        let p = if mean == 0.0 { 1.0 } else { 0.0 };
        return Paired {
            diff: Summary {
                n,
                mean,
                sd: Some(0.0),
                ci: Some((mean, mean)),
            },
            p_value: Some(p),
        };
    }
    let df = (qb + qv).powi(2) / (qb * qb / (b.n as f64 - 1.0) + qv * qv / (v.n as f64 - 1.0));
    let half = t_quantile(0.975, df) * se;
    Paired {
        diff: Summary {
            n,
            mean,
            sd: Some(se * (n as f64).sqrt()),
            ci: Some((mean - half, mean + half)),
        },
        p_value: Some((2.0 * (1.0 - t_cdf((mean / se).abs(), df))).clamp(0.0, 1.0)),
    }
}

/// The ratio `mean(a) / mean(b)` of paired samples with its 95% interval by Fieller's
/// theorem (Fieller 1954; e.g. Willan and O'Brien 1996 for cost-effectiveness ratios):
/// the set of `R` for which `mean(a) − R mean(b)` is not distinguishable from zero by
/// a t test with n − 1 degrees of freedom,
/// `(ma − R mb)² ≤ t² (va + R² vb − 2R cov) / n`. The interval is bounded only when
/// `mean(b)` itself differs from zero at that level; otherwise it is unbounded and
/// given as `None` (the delta method would give a finite, wrongly confident one).
/// `None` altogether when `mean(b)` is zero; the interval is `None` when n < 2.
pub fn ratio_of_means(a: &[f64], b: &[f64]) -> Option<(f64, Option<(f64, f64)>)> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let ma = a[..n].iter().sum::<f64>() / n as f64;
    let mb = b[..n].iter().sum::<f64>() / n as f64;
    if mb == 0.0 {
        return None;
    }
    let r = ma / mb;
    if n < 2 {
        return Some((r, None));
    }
    let k = (n - 1) as f64;
    let va = a[..n].iter().map(|x| (x - ma).powi(2)).sum::<f64>() / k;
    let vb = b[..n].iter().map(|x| (x - mb).powi(2)).sum::<f64>() / k;
    let cov = a[..n]
        .iter()
        .zip(&b[..n])
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / k;
    let q = t_quantile(0.975, k).powi(2) / n as f64;
    // A R² − 2 B R + C ≤ 0.
    let qa = mb * mb - q * vb;
    if qa <= 0.0 {
        return Some((r, None));
    }
    let qb = ma * mb - q * cov;
    let qc = ma * ma - q * va;
    let root = (qb * qb - qa * qc).max(0.0).sqrt();
    Some((r, Some(((qb - root) / qa, (qb + root) / qa))))
}

/// ln Γ(x) for x > 0 (`statrs`).
pub fn ln_gamma(x: f64) -> f64 {
    statrs::function::gamma::ln_gamma(x)
}

/// The regularised incomplete beta function I_x(a, b) (`statrs`); x is clamped to
/// [0, 1], and a or b not > 0 gives NaN.
pub fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    statrs::function::beta::checked_beta_reg(a, b, x.clamp(0.0, 1.0)).unwrap_or(f64::NAN)
}

/// The Student-t CDF with `df` degrees of freedom (`statrs`); NaN for df not > 0.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.cdf(t))
}

/// The Student-t quantile with `df` degrees of freedom: bisection to 1e-12 on
/// [`t_cdf`]. Not `statrs`'s `inverse_cdf`, which loses accuracy for many degrees of
/// freedom (at df = 1e7 it gives t_0.975 = 1.827 for 1.960; the test below checks it).
/// NaN for df not > 0.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The standard normal CDF (`statrs`'s complementary error function).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Known values: t_{0.975} for df 1, 4, 19, 30 and the normal limit.
        for (df, want) in [
            (1.0, 12.706_204_736),
            (4.0, 2.776_445_105),
            (19.0, 2.093_024_054),
            (30.0, 2.042_272_456),
        ] {
            let got = t_quantile(0.975, df);
            assert!((got - want).abs() < 1e-6, "df {df}: {got} vs {want}");
        }
        assert!((t_quantile(0.975, 1e7) - 1.959_963_985).abs() < 1e-5);
    }

    #[test]
    fn summary_on_hand_made_sample() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        let sd = s.sd.unwrap();
        assert!((sd - 2.5f64.sqrt()).abs() < 1e-12);
        let (lo, hi) = s.ci.unwrap();
        let half = 2.776_445_105 * sd / 5f64.sqrt();
        assert!((lo - (3.0 - half)).abs() < 1e-6 && (hi - (3.0 + half)).abs() < 1e-6);
    }

    #[test]
    fn one_observation_has_no_interval() {
        let s = summarize(&[7.0]);
        assert_eq!(s.mean, 7.0);
        assert!(s.sd.is_none() && s.ci.is_none());
    }

    #[test]
    fn paired_test_on_hand_made_values() {
        // Differences 1, 2, 3, 4, 5: mean 3, sd sqrt(2.5), t = 3 / (sqrt(2.5)/sqrt(5)) = 4.2426,
        // two-sided p with 4 df = 0.013236 (scipy.stats.ttest_rel).
        let base = [10.0, 20.0, 30.0, 40.0, 50.0];
        let var = [11.0, 22.0, 33.0, 44.0, 55.0];
        let p = paired(&base, &var);
        assert!((p.diff.mean - 3.0).abs() < 1e-12);
        assert!(
            (p.p_value.unwrap() - 0.013_24).abs() < 1e-4,
            "{:?}",
            p.p_value
        );
        let (lo, hi) = p.diff.ci.unwrap();
        assert!(
            (lo - 1.036_757).abs() < 1e-5 && (hi - 4.963_243).abs() < 1e-5,
            "{lo} {hi}"
        );
    }

    #[test]
    fn paired_identical_samples_give_zero_width() {
        let x = [0.3, 0.1, 0.7];
        let p = paired(&x, &x);
        assert_eq!(p.diff.mean, 0.0);
        assert_eq!(p.diff.ci, Some((0.0, 0.0)));
        assert_eq!(p.p_value, Some(1.0));
    }

    #[test]
    fn welch_on_hand_made_values() {
        // a = 1..5 (var 2.5), b = 2,4,..,10 (var 10): diff 3, se = sqrt(0.5 + 2) = 1.5811,
        // df = 2.5^2 / (0.25/4 + 4/4) = 5.882; t_0.975(5.882) = 2.458824, p = 0.107531
        // (scipy.stats.ttest_ind(equal_var=False)).
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [2.0, 4.0, 6.0, 8.0, 10.0];
        let w = welch(&a, &b);
        assert!((w.diff.mean - 3.0).abs() < 1e-12);
        let (lo, hi) = w.diff.ci.unwrap();
        assert!(
            (hi - lo - 2.0 * 2.458_824 * 1.581_139).abs() < 1e-5,
            "{lo} {hi}"
        );
        assert!(
            (w.p_value.unwrap() - 0.107_531).abs() < 1e-5,
            "{:?}",
            w.p_value
        );
    }

    #[test]
    fn ratio_of_means_has_fieller_interval() {
        // Independent-looking pairs: the interval holds the ratio, is wider above it
        // than below (a ratio's interval is skewed), and every R in it passes the
        // t test of a - R b while points just outside fail it.
        let a = [10.0, 12.0, 9.0, 11.0, 13.0, 8.0, 12.0, 10.0];
        let b = [2.0, 2.5, 1.8, 2.2, 2.4, 1.9, 2.6, 2.1];
        let (r, ci) = ratio_of_means(&a, &b).unwrap();
        let (lo, hi) = ci.unwrap();
        assert!(lo < r && r < hi, "{lo} {r} {hi}");
        let t_of = |x: f64| {
            let d: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p - x * q).collect();
            let s = summarize(&d);
            s.mean / (s.sd.unwrap() / (d.len() as f64).sqrt())
        };
        let t = t_quantile(0.975, 7.0);
        assert!((t_of(lo).abs() - t).abs() < 1e-6, "{}", t_of(lo));
        assert!((t_of(hi).abs() - t).abs() < 1e-6, "{}", t_of(hi));
        assert!(t_of(lo * 0.99).abs() > t && t_of(hi * 1.01).abs() > t);
        // A denominator not distinguishable from zero: no finite interval.
        let (r, ci) = ratio_of_means(&[5.0, 6.0, 4.0, 5.0], &[1.0, -1.2, 0.8, -0.4]).unwrap();
        assert!(r.is_finite());
        assert!(ci.is_none(), "{ci:?}");
    }

    #[test]
    fn ratio_of_means_with_exact_proportionality() {
        // a = 2b exactly: only R = 2 makes a - R b zero, once b itself is clearly
        // not zero (its t statistic here is 7.5).
        let b = [1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0];
        let a: Vec<f64> = b.iter().map(|x| 2.0 * x).collect();
        let (r, ci) = ratio_of_means(&a, &b).unwrap();
        assert!((r - 2.0).abs() < 1e-12);
        let (lo, hi) = ci.unwrap();
        assert!(
            (lo - 2.0).abs() < 1e-9 && (hi - 2.0).abs() < 1e-9,
            "exact proportionality"
        );
        assert!(ratio_of_means(&[1.0], &[0.0]).is_none());
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_963_985) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_254).abs() < 1e-6);
    }
}
