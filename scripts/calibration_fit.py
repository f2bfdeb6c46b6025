#!/usr/bin/env python3
"""Fit the calibration parameters to the panel targets by simulated minimum distance.

Starts from the best point of a calibration search (`calibration_search.py`), from
`--start KEY=VALUE...` values, or from the middle of every range, and moves the factors of `scenarios/calibration_factors.toml` within
their ranges with a bounded Nelder-Mead search. Every evaluation is one `povsim run`
of the calibration scenario with the same seed (common random numbers, so the distance
is a deterministic function of the parameters); the distance is the one the search
ranks by (`calibration_search.terms`):

    python3 scripts/calibration_fit.py SCENARIO FACTORS --study STUDY_DIR \\
        [--households 2000] [--replications 20] [--evaluations 300]

It prints each improvement and, at the end, the best point's figures and the `--set`
options that reproduce it. Standard library only; POVSIM names the binary
(default `target/release/povsim`).
"""

import argparse
import csv
import os
import pathlib
import subprocess
import sys
import tempfile
import tomllib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from calibration_search import best_point, terms  # noqa: E402


def load_factors(path):
    """(key, low, high) of every factor of a factors file."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    out = []
    for fac in doc.get("factor", []):
        if fac.get("distribution", "uniform") != "uniform":
            sys.exit(f"{path}: factor {fac['key']}: only uniform factors can be fitted")
        out.append((fac["key"], float(fac["low"]), float(fac["high"])))
    if not out:
        sys.exit(f"{path}: no [[factor]] tables")
    return out


class Model:
    """The calibration scenario as a function of the factors scaled to [0, 1]."""

    def __init__(self, a, factors, tmp):
        self.a, self.factors, self.tmp, self.cache = a, factors, tmp, {}
        self.evaluations = 0

    def values(self, x):
        return [lo + (hi - lo) * min(1.0, max(0.0, u)) for u, (_, lo, hi) in zip(x, self.factors)]

    def sets(self, x):
        return [f"{k}={v:.6g}" for (k, _, _), v in zip(self.factors, self.values(x))]

    def figures(self, x):
        sets = self.sets(x)
        key = tuple(sets)
        if key not in self.cache:
            self.evaluations += 1
            cmd = [self.a.povsim, "run", str(self.a.scenario), "--quiet", "--force", "--no-report",
                   "--out", self.tmp, "--households", str(self.a.households),
                   "--replications", str(self.a.replications)]
            for s in sets:
                cmd += ["--set", s]
            done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode != 0:
                sys.exit(f"povsim run failed ({done.returncode}): {done.stderr.strip()}")
            with open(os.path.join(self.tmp, "summary.csv"), newline="") as f:
                self.cache[key] = {r["metric"]: float(r["mean"]) for r in csv.DictReader(f)}
        return self.cache[key]

    def distance(self, x):
        return sum(terms(self.figures(x)))


def nelder_mead(f, x0, step, budget, report):
    """Minimise f from x0 (standard coefficients 1, 2, 0.5, 0.5); stops after `budget`
    distinct evaluations or when the simplex has shrunk below 1e-4."""
    n = len(x0)
    simplex = [list(x0)]
    for i in range(n):
        x = list(x0)
        x[i] = x[i] + step if x[i] + step <= 1.0 else x[i] - step
        simplex.append(x)
    scored = sorted((f(x), x) for x in simplex)
    report(scored[0])
    while budget():
        best = scored[0][0]
        centroid = [sum(x[i] for _, x in scored[:-1]) / n for i in range(n)]
        worst_f, worst = scored[-1]

        def toward(c):
            return [centroid[i] + c * (worst[i] - centroid[i]) for i in range(n)]

        xr = toward(-1.0)
        fr = f(xr)
        if fr < scored[0][0]:
            xe = toward(-2.0)
            fe = f(xe)
            scored[-1] = (fe, xe) if fe < fr else (fr, xr)
        elif fr < scored[-2][0]:
            scored[-1] = (fr, xr)
        else:
            xc = toward(0.5) if fr >= worst_f else toward(-0.5)
            fc = f(xc)
            if fc < min(fr, worst_f):
                scored[-1] = (fc, xc)
            else:
                x_best = scored[0][1]
                scored = [scored[0]] + [
                    (f(y), y) for y in ([b + 0.5 * (v - b) for b, v in zip(x_best, x)] for _, x in scored[1:])
                ]
        scored.sort(key=lambda s: s[0])
        if scored[0][0] < best:
            report(scored[0])
        size = max(abs(x[i] - scored[0][1][i]) for _, x in scored[1:] for i in range(n))
        if size < 1e-4:
            break
    return scored[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=pathlib.Path, help="the calibration scenario")
    ap.add_argument("factors", type=pathlib.Path, help="the factors file with their ranges")
    ap.add_argument("--study", type=pathlib.Path, help="start from this search's best point")
    ap.add_argument("--start", nargs="+", metavar="KEY=VALUE", help="or start from these values")
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--evaluations", type=int, default=300, help="runs at most")
    ap.add_argument("--step", type=float, default=0.1, help="first simplex step, share of each range")
    a = ap.parse_args()
    a.povsim = os.environ.get("POVSIM", "target/release/povsim")
    factors = load_factors(a.factors)
    if a.study or a.start:
        start = best_point(a.study) if a.study else dict(kv.split("=", 1) for kv in a.start)
        missing = [k for k, _, _ in factors if k not in start]
        if missing:
            sys.exit(f"the start point has no value for {', '.join(missing)}")
        x0 = [(float(start[k]) - lo) / (hi - lo) for k, lo, hi in factors]
    else:
        x0 = [0.5] * len(factors)
    with tempfile.TemporaryDirectory(prefix="povsim-fit-") as tmp:
        fit(a, x0, Model(a, factors, tmp))


def fit(a, x0, model):
    """Run the search from `x0` and print its progress and the best point."""

    def report(scored):
        d, x = scored
        m = model.figures(x)
        print(
            f"run {model.evaluations}: distance {d:.3f}; transient {m['transient_share']:.3f}, "
            f"exit {m['exit_after_one_year']:.3f}, re-entry {m['reentry_within_5y']:.3f}",
            flush=True,
        )

    d, x = nelder_mead(model.distance, x0, a.step, lambda: model.evaluations < a.evaluations, report)
    m = model.figures(x)
    within = max(terms(m)) < 1.0
    print(f"best after {model.evaluations} runs: distance {d:.3f} "
          f"({'within' if within else 'outside'} tolerance on all three targets)")
    print("    " + " ".join(f"--set {s}" for s in model.sets(x)))


if __name__ == "__main__":
    main()
