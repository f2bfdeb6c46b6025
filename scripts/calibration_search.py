#!/usr/bin/env python3
"""Rank the points of a calibration search by their distance to the panel targets.

The search itself is a `povsim sensitivity --method lhs` study of the calibration
scenario over `scenarios/calibration_factors.toml` (see docs/calibration.md). This
script reads its `design.csv` and `results.csv` and prints the points closest to the
targets of PARAMETERS.md, each with the `--set` options that reproduce it:

    python3 scripts/calibration_search.py STUDY_DIR [--top 10]

Distance: the squared misses of the exit share and the re-entry share in units of
their tolerance (7 points each), plus the squared miss of the transient share from
the middle of its 40-50% band in units of half the band (5 points). A point is
within tolerance when each of the three terms is below 1.
"""

import argparse
import collections
import csv
import pathlib
import sys

EXIT, REENTRY, TOLERANCE = 0.372, 0.15, 0.07
TRANSIENT, HALF_BAND = 0.45, 0.05


def terms(m):
    """The three squared misses of one point's summary figures."""
    return (
        ((m["exit_after_one_year"] - EXIT) / TOLERANCE) ** 2,
        ((m["reentry_within_5y"] - REENTRY) / TOLERANCE) ** 2,
        ((m["transient_share"] - TRANSIENT) / HALF_BAND) ** 2,
    )


def load(study):
    """The design rows and the summary figures of a finished search, by point."""
    try:
        with open(study / "design.csv", newline="") as f:
            design = {int(r["point"]): r for r in csv.DictReader(f)}
        figures = collections.defaultdict(dict)
        with open(study / "results.csv", newline="") as f:
            for r in csv.DictReader(f):
                figures[int(r["point"])][r["metric"]] = float(r["mean"])
    except (OSError, KeyError, ValueError) as e:
        sys.exit(f"{study}: not a finished povsim sensitivity study ({e})")
    ranked = sorted((sum(terms(m)), p) for p, m in figures.items() if p in design)
    if not ranked:
        sys.exit(f"{study}: no finished points")
    return design, figures, ranked


def best_point(study):
    """The factor values of a search's point closest to the targets."""
    design, _, ranked = load(study)
    return {k: v for k, v in design[ranked[0][1]].items() if k != "point"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", type=pathlib.Path, help="an LHS study's output folder")
    ap.add_argument("--top", type=int, default=10, help="points to print")
    a = ap.parse_args()
    design, figures, ranked = load(a.study)
    within = sum(1 for _, p in ranked if max(terms(figures[p])) < 1.0)
    print(f"{len(ranked)} points; {within} within tolerance on all three targets")
    print("targets: transient 40-50%, exit after one year 37.2%, re-entry within 5 years 15%")
    for d, p in ranked[: a.top]:
        m = figures[p]
        print(
            f"point {p}: distance {d:.2f}; transient {m['transient_share']:.3f}, "
            f"exit {m['exit_after_one_year']:.3f}, re-entry {m['reentry_within_5y']:.3f}, "
            f"headcount {m['headcount_rate']:.3f}"
        )
        sets = " ".join(f"--set {k}={v}" for k, v in design[p].items() if k != "point")
        print(f"    {sets}")


if __name__ == "__main__":
    main()
