"""EMA Workbench runs povsim through povsim.ema: 8 experiments on the bundled baseline
(4 scenarios of the uncertainties times 2 policies of the levers) with its
SequentialEvaluator and with its MultiprocessingEvaluator (2 forked worker
processes), which must give identical experiments and outcomes.

Usage: python ema_check.py

Exits 1 (an assertion) unless both evaluators agree exactly, the outcomes differ
between experiments (the parameters reach the engine), and one experiment's outcomes
equal a direct povsim.run with that experiment's values.
"""
import numpy as np
import pandas as pd
from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator
from ema_workbench.em_framework import sample_levers, sample_uncertainties

import povsim
from povsim.ema import model, parameter_name

SIZES = dict(households=300, years=3, replications=2, seed=5)


def main():
    m = model("builtin:baseline.toml", "builtin:factors.toml", **SIZES)
    names = {p.name for p in m.uncertainties} | {p.name for p in m.levers}
    assert parameter_name("policy.monitoring.detection_rate") in names, names
    assert all(p.variable_name[0].count(".") >= 1 for p in m.uncertainties), "dotted keys as variable_name"
    assert len(m.levers) > 0 and len(m.uncertainties) > 0
    np.random.seed(3)
    scenarios = sample_uncertainties(m, 4)
    policies = sample_levers(m, 2)

    with SequentialEvaluator(m) as evaluator:
        seq_x, seq_y = evaluator.perform_experiments(scenarios=scenarios, policies=policies)
    with MultiprocessingEvaluator(m, n_processes=2) as evaluator:
        mp_x, mp_y = evaluator.perform_experiments(scenarios=scenarios, policies=policies)

    assert len(seq_x) == len(mp_x) == 8, (len(seq_x), len(mp_x))
    key = ["scenario", "policy"]
    seq_x, mp_x = seq_x.reset_index(drop=True), mp_x.reset_index(drop=True)
    seq = pd.concat([seq_x[key], pd.DataFrame(seq_y)], axis=1).sort_values(key).reset_index(drop=True)
    mp = pd.concat([mp_x[key], pd.DataFrame(mp_y)], axis=1).sort_values(key).reset_index(drop=True)
    for outcome in seq_y:
        assert np.array_equal(seq[outcome].to_numpy(), mp[outcome].to_numpy()), (
            f"{outcome}: sequential {seq[outcome].tolist()} vs multiprocessing {mp[outcome].tolist()}"
        )
        print(f"ok {outcome}: identical over both evaluators: {np.round(seq[outcome].to_numpy(), 6).tolist()}")
    assert len(set(seq["return_rate"])) > 1, "every experiment gave the same return rate"

    # One experiment again, directly.
    row = seq_x.iloc[0]
    values = {p.variable_name[0]: row[p.name] for p in list(m.uncertainties) + list(m.levers)}
    direct = povsim.run("builtin:baseline.toml", set=values, threads=1, **SIZES)
    for outcome in seq_y:
        assert direct.metric(outcome) == seq_y[outcome][0], (outcome, direct.metric(outcome), seq_y[outcome][0])
    print("ok: experiment 0 equals a direct povsim.run with its values")


if __name__ == "__main__":
    main()
