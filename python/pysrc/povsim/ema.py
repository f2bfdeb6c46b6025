"""EMA Workbench models of povsim scenarios.

    from ema_workbench import SequentialEvaluator
    from povsim.ema import model

    m = model("scenarios/baseline.toml", "scenarios/factors.toml", households=2000)
    with SequentialEvaluator(m) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=50)

Each factor of the factors file becomes a parameter: its dotted key
(``policy.monitoring.detection_rate``) is the parameter's ``variable_name``, and its
name is the key with dots as underscores (EMA Workbench names are Python identifiers).
Factors under ``policy.`` are levers, the others uncertainties, unless ``levers``
names the levers. Uniform factors become ``RealParameter(low, high)``; triangular and
truncated normal ones ``RealParameter.from_dist`` of the same SciPy distribution.
Outcomes are summary metrics (``povsim.summary_metrics()``): means over the
replications.

The model's function is a picklable :class:`Experiment`, so the
``MultiprocessingEvaluator`` and ``MPIEvaluator`` can ship it to their workers; each
experiment runs on one thread by default, since the evaluator runs experiments side by
side. Every experiment uses the scenario's seed (``seed=`` to change it): experiments
differ only by their parameters (common random numbers), and an experiment gives the
same outcomes whichever worker runs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import povsim

DEFAULT_OUTCOMES = ("return_rate", "registered_return_rate", "total_cost")


def parameter_name(key: str) -> str:
    """The EMA Workbench name of a dotted povsim key."""
    name = key.replace(".", "_").replace("-", "_")
    if not name.isidentifier():
        raise povsim.ScenarioError(f"key `{key}` cannot be named as an EMA Workbench parameter")
    return name


@dataclass
class Experiment:
    """Runs one EMA Workbench experiment: its parameters, by dotted key, are ``set``
    on the scenario; returns each outcome's mean over replications."""

    scenario: str | None
    outcomes: Sequence[str]
    set: dict[str, Any] = field(default_factory=dict)
    households: int | None = None
    years: int | None = None
    replications: int | None = None
    seed: int | None = None
    threads: int | None = 1

    def __call__(self, **parameters: Any) -> dict[str, float]:
        values = {**self.set, **parameters}
        run = povsim.run(
            self.scenario,
            set=values,
            households=self.households,
            years=self.years,
            replications=self.replications,
            seed=self.seed,
            threads=self.threads,
        )
        return {name: run.metric(name) for name in self.outcomes}


def _parameter(factor: dict):
    from ema_workbench import RealParameter
    from scipy import stats

    key = factor["key"]
    name = parameter_name(key)
    kind = factor["distribution"]
    if kind == "uniform":
        return RealParameter(name, factor["low"], factor["high"], variable_name=key)
    low, high = factor["low"], factor["high"]
    if kind == "triangular":
        width = high - low
        c = (factor["mode"] - low) / width if width > 0 else 0.5
        dist = stats.triang(c, loc=low, scale=width)
    elif kind == "normal":
        mean, sd = factor["mean"], factor["sd"]
        dist = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
    else:
        raise povsim.ScenarioError(f"factor `{key}`: distribution {kind!r} has no EMA Workbench form")
    return RealParameter.from_dist(name, dist, variable_name=key)


def model(
    scenario: str | os.PathLike | None = None,
    factors: str | os.PathLike = "builtin:factors.toml",
    *,
    levers: Iterable[str] | None = None,
    outcomes: Iterable[str] = DEFAULT_OUTCOMES,
    name: str = "povsim",
    set: dict[str, Any] | None = None,
    households: int | None = None,
    years: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    threads: int | None = 1,
):
    """An EMA Workbench ``Model`` of ``scenario`` over the factors of ``factors``.

    ``levers``: the dotted keys that are levers (default: the factors under
    ``policy.``). ``outcomes``: summary metrics, each a ``ScalarOutcome`` to
    minimise. ``set`` and the sizes apply to every experiment."""
    from ema_workbench import Model, ScalarOutcome

    outcomes = list(outcomes)
    known = povsim.summary_metrics()
    for o in outcomes:
        if o not in known:
            raise povsim.ScenarioError(
                f"outcome {o!r} is not a summary metric; choose from povsim.summary_metrics()"
            )
    specs = povsim.factors(factors)
    keys = [f["key"] for f in specs]
    if levers is None:
        lever_keys = {k for k in keys if k.startswith("policy.")}
    else:
        lever_keys = {*levers}
        unknown = lever_keys - {*keys}
        if unknown:
            raise povsim.ScenarioError(
                f"levers {sorted(unknown)} are not factors of {os.fspath(factors)}"
            )
    scenario = None if scenario is None else os.fspath(scenario)
    # Check the scenario and the sizes now, not in the first experiment.
    povsim.validate(scenario, set=set)
    m = Model(name, function=Experiment(
        scenario=scenario,
        outcomes=outcomes,
        set=dict(set or {}),
        households=households,
        years=years,
        replications=replications,
        seed=seed,
        threads=threads,
    ))
    params = [(f["key"], _parameter(f)) for f in specs if f["key"] != "dummy"]
    m.uncertainties = [p for k, p in params if k not in lever_keys]
    m.levers = [p for k, p in params if k in lever_keys]
    m.outcomes = [ScalarOutcome(o, kind=ScalarOutcome.MINIMIZE) for o in outcomes]
    return m
