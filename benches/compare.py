#!/usr/bin/env python3
"""Run the engine beside the draw-loop floor and the NumPy reference of the core model
(benches/reference/), interleaved over several rounds, and print household-years per
second, their ratios (median, min, max), peak memory, and whether the engine and the
reference agree on the return rate;
then the scaling exponents in households, years and replications, and the start-up
overhead. Called by benches/compare.sh, which builds the binaries first.

Every figure is a ratio or a rate measured in this run, on this machine: rerun the
script to check the figures in docs/benchmarks.md.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POVSIM = os.path.join(ROOT, "target", "release", "povsim")
CORE = os.path.join(ROOT, "benches", "reference", "core.toml")


def timed(cmd):
    """Run cmd under /usr/bin/time -v; return (stdout, wall seconds, peak RSS bytes)."""
    started = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, check=True
    )
    # Wall time from this clock (time -v rounds to 10 ms); peak memory from time -v.
    seconds = time.perf_counter() - started
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    return out.stdout, seconds, rss * 1024


def floor(floor_bin, households, years, reps, threads):
    stdout, wall, rss = timed(
        [floor_bin, "--households", str(households), "--years", str(years),
         "--replications", str(reps), "--threads", str(threads)]
    )
    line = json.loads(stdout.strip().splitlines()[-1])
    return {"rate": line["household_years_per_second"], "wall": wall, "rss": rss,
            "seconds": line["seconds"]}


def engine(households, years, reps, threads, scenario=None):
    """`povsim run` (the bundled baseline, or `scenario`): its rate, wall time, peak
    memory, and per-replication mean return rates."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        _, wall, rss = timed(
            [POVSIM, "run", *([scenario] if scenario else []), "--households", str(households),
             "--years", str(years), "--replications", str(reps), "--threads", str(threads),
             "--quiet", "--out", out]
        )
        with open(os.path.join(out, "manifest.json")) as f:
            m = json.load(f)
        by_rep = {}
        with open(os.path.join(out, "replications.csv")) as f:
            for row in f.read().splitlines()[1:]:
                _, rep, _, metric, value = row.split(",")
                if metric == "return_rate":
                    by_rep.setdefault(rep, []).append(float(value))
    return {"rate": m["household_years_per_second"], "wall": wall, "rss": rss,
            "seconds": m["wall_seconds"],
            "return_rates": [statistics.fmean(v) for v in by_rep.values()]}


def numpy_reference(resolved, households, reps, seed):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benches", "reference", "core_model.py"), resolved,
         "--households", str(households), "--replications", str(reps), "--seed", str(seed)],
        capture_output=True, text=True, check=True)
    line = json.loads(out.stdout.strip().splitlines()[-1])
    return {"rate": line["household_years_per_second"], "seconds": line["seconds"],
            "return_rates": line["return_rates"]}


def spread(values):
    return statistics.median(values), min(values), max(values)


def fmt(triple, unit=""):
    med, lo, hi = triple
    return f"{med:.3g}{unit} (min {lo:.3g}, max {hi:.3g})"


def slope(xs, ys):
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--floor-bin", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--households", type=int, default=10000)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--memory-households", type=int, default=1_000_000)
    ap.add_argument("--skip-scaling", action="store_true")
    a = ap.parse_args()
    years, burn = 10, 3
    print(f"# povsim benchmarks: baseline, every mechanism on; {a.households} households x "
          f"{years} years (+{burn} burn-in) x {a.replications} replications; "
          f"{a.rounds} interleaved rounds; {os.cpu_count()} CPUs")
    resolved = os.path.join(tempfile.mkdtemp(), "core.toml")
    with open(resolved, "w") as f:
        f.write(subprocess.run([POVSIM, "validate", CORE], capture_output=True, text=True,
                               check=True).stdout)
    results = {}
    for r in range(a.rounds):
        results.setdefault("numpy", []).append(
            numpy_reference(resolved, a.households, a.replications, seed=r + 1))
        results.setdefault("engine_core", []).append(
            engine(a.households, years, a.replications, 1, scenario=CORE))
        for threads in (1, 2):
            f = floor(a.floor_bin, a.households, years + burn, a.replications, threads)
            e = engine(a.households, years, a.replications, threads)
            results.setdefault(("floor", threads), []).append(f)
            results.setdefault(("engine", threads), []).append(e)
        print(f"round {r + 1}: engine {results[('engine', 1)][-1]['rate'] / 1e6:.2f} M/s (1 thread), "
              f"{results[('engine', 2)][-1]['rate'] / 1e6:.2f} M/s (2); floor "
              f"{results[('floor', 1)][-1]['rate'] / 1e6:.2f} / {results[('floor', 2)][-1]['rate'] / 1e6:.2f} M/s",
              flush=True)

    print("\n## Throughput (household-years per second, simulation only)")
    print("| program | threads | rate, M/s: median (min, max) | peak RSS |")
    print("|---|---|---|---|")
    for (prog, threads), runs in sorted(k for k in results.items() if isinstance(k[0], tuple)):
        rates = spread([x["rate"] / 1e6 for x in runs])
        rss = max(x["rss"] for x in runs) / 2**20
        print(f"| {prog} | {threads} | {fmt(rates)} | {rss:.0f} MB |")

    for name, label in (("engine_core", "engine, core scenario"), ("numpy", "NumPy reference, core model")):
        rates = spread([x["rate"] / 1e6 for x in results[name]])
        print(f"| {label} | 1 | {fmt(rates)} | |")

    print("\n## Ratios within each round")
    for threads in (1, 2):
        ratio = [e["rate"] / f["rate"] for e, f in
                 zip(results[("engine", threads)], results[("floor", threads)])]
        print(f"- engine / draw floor, {threads} thread(s): {fmt(spread(ratio))} (target >= 0.5)")
    ratio = [e["rate"] / n["rate"] for e, n in zip(results["engine_core"], results["numpy"])]
    print(f"- engine / NumPy reference on the core model, 1 thread each: {fmt(spread(ratio))} (target >= 5)")
    speedup = [b["rate"] / a_["rate"] for a_, b in
               zip(results[("engine", 1)], results[("engine", 2)])]
    print(f"- engine speed-up 1 -> 2 threads: {fmt(spread(speedup))} (target >= 1.8)")
    overhead = [(e["wall"] - e["seconds"]) / e["wall"] for e in results[("engine", 2)]]
    print(f"- start-up, output and report writing as a share of a {a.households}-household run's "
          f"wall time (2 threads): {fmt(spread([100 * o for o in overhead]), '%')}")
    tiny = [engine(1, 1, 1, 1)["wall"] for _ in range(3)]
    big = statistics.median(e["wall"] for e in results[("engine", 2)])
    print(f"- start-up alone (1 household, 1 year, 1 replication: {statistics.median(tiny) * 1000:.0f} ms) "
          f"as a share of that run: {100 * statistics.median(tiny) / big:.1f}% (target < 5%)")

    # The engine is deterministic (same seed every round); NumPy used a new seed each round.
    e_rates = results["engine_core"][0]["return_rates"]
    n_rates = [x for run in results["numpy"] for x in run["return_rates"]]
    e_mean, n_mean = statistics.fmean(e_rates), statistics.fmean(n_rates)
    se = math.sqrt(statistics.variance(e_rates) / len(e_rates) + statistics.variance(n_rates) / len(n_rates))
    print(f"- return rate, core model: engine {100 * e_mean:.3f}% ({len(e_rates)} replications), "
          f"NumPy {100 * n_mean:.3f}% ({len(n_rates)}); difference {100 * (e_mean - n_mean):+.3f} points, "
          f"standard error {100 * se:.3f}, z = {(e_mean - n_mean) / se:+.2f} (agreement: |z| < 2)")

    if a.skip_scaling:
        return
    print("\n## Scaling (simulation seconds, 2 threads; exponent of a log-log fit)")
    sizes = [10_000, 20_000, 40_000, 80_000]
    t = [engine(n, years, 4, 2)["seconds"] for n in sizes]
    print(f"- households {sizes}: {[round(x, 3) for x in t]} s, exponent {slope(sizes, t):.3f}")
    ys = [5, 10, 20, 40]
    t = [engine(20_000, y, 4, 2)["seconds"] for y in ys]
    # Burn-in years are simulated too: the work is proportional to years + burn-in.
    work = [y + burn for y in ys]
    print(f"- years {ys} (+{burn} burn-in): {[round(x, 3) for x in t]} s, exponent in "
          f"(years + burn-in) {slope(work, t):.3f}")
    rs = [2, 4, 8, 16]
    t = [engine(20_000, years, r, 2)["seconds"] for r in rs]
    print(f"- replications {rs}: {[round(x, 3) for x in t]} s, exponent {slope(rs, t):.3f}")

    print("\n## Memory per household")

    def marginal(sizes, label):
        rows = []
        for n in sizes:
            e = engine(n, 2, 1, 2)
            rows.append((n, e["rss"]))
            print(f"- {n} households: peak RSS {e['rss'] / 2**20:.1f} MB")
        (n0, r0), (n1, r1) = rows
        print(f"- marginal resident memory per household, {label}: "
              f"{(r1 - r0) / (n1 - n0):.0f} bytes (target <= 100)")

    # Populations of 50,000 or more run lean (runner::LARGE_POPULATION); smaller ones
    # hold detected households' records until the budget step.
    marginal((a.memory_households // 4, a.memory_households), "lean (50,000 or more)")
    marginal((12_000, 48_000), "records held (under 50,000)")


if __name__ == "__main__":
    sys.exit(main())
