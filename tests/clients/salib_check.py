"""SALib's analysers on a povsim study's own design and results, against povsim's indices.

Usage: python salib_check.py STUDY_DIR

Reads design.csv, results.csv, plan.toml and indices.csv of a Morris or Sobol study that
`povsim sensitivity` wrote, runs SALib's morris.analyze or sobol.analyze on the same
points and outputs, and exits 1 unless the two agree:
- Morris: mu, mu* and sigma equal to 1e-9 (the same elementary effects);
- Sobol: each of SALib's S1 and ST inside povsim's bootstrap interval, and each of
  povsim's inside SALib's interval (the estimators are the same; SALib divides by the
  population variance, povsim by the sample variance).
Prints one line per index either way.
"""
import csv
import sys
import tomllib
from pathlib import Path

import numpy as np
from SALib.analyze import morris, sobol


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(study):
    study = Path(study)
    plan = tomllib.loads((study / "plan.toml").read_text())
    design = read_rows(study / "design.csv")
    keys = [k for k in design[0] if k != "point"]
    x = np.array([[float(r[k]) for k in keys] for r in design])
    means = {int(r["point"]): float(r["mean"]) for r in read_rows(study / "results.csv")
             if r["metric"] == plan["metric"]}
    y = np.array([means[i] for i in range(len(design))])
    ours = {(r["factor"], r["index"]): r for r in read_rows(study / "indices.csv")}
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    failures = []

    if plan["method"] == "morris":
        got = morris.analyze(problem, x, y, num_levels=4, seed=1)
        for j, key in enumerate(keys):
            for name, salib in [("mu", got["mu"][j]), ("mu_star", got["mu_star"][j]),
                                ("sigma", got["sigma"][j])]:
                mine = float(ours[(key, name)]["value"])
                ok = abs(mine - salib) <= 1e-9 * max(1.0, abs(salib))
                print(f"{'ok ' if ok else 'BAD'} {key} {name}: povsim {mine:.12g}, SALib {salib:.12g}")
                if not ok:
                    failures.append((key, name))
    elif plan["method"] == "sobol":
        n, k = plan["samples"], len(keys)
        # povsim orders the points A (n rows), B, AB_1 .. AB_k; SALib wants, for each base
        # row i, A_i, AB_1i .. AB_ki, B_i.
        salib_y = np.empty(n * (k + 2))
        for i in range(n):
            row = i * (k + 2)
            salib_y[row] = y[i]
            for j in range(k):
                salib_y[row + 1 + j] = y[(2 + j) * n + i]
            salib_y[row + k + 1] = y[n + i]
        got = sobol.analyze(problem, salib_y, calc_second_order=False,
                            num_resamples=500, seed=1)
        for j, key in enumerate(keys):
            for name in ["S1", "ST"]:
                r = ours[(key, name)]
                mine, lo, hi = float(r["value"]), float(r["ci_low"]), float(r["ci_high"])
                salib, conf = got[name][j], got[name + "_conf"][j]
                ok = lo <= salib <= hi and salib - conf <= mine <= salib + conf
                print(f"{'ok ' if ok else 'BAD'} {key} {name}: povsim {mine:.6f} [{lo:.6f}, {hi:.6f}], "
                      f"SALib {salib:.6f} +/- {conf:.6f}")
                if not ok:
                    failures.append((key, name))
    else:
        sys.exit(f"{study}: method {plan['method']} has no SALib check")
    if failures:
        sys.exit(f"{len(failures)} indices disagree: {failures}")


if __name__ == "__main__":
    main(sys.argv[1])
