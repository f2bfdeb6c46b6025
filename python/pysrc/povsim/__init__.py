"""povsim from Python: the Rust engine itself, not a wrapper of the command line.

    import pandas as pd
    import povsim

    cmp = povsim.compare(households=2000, replications=10)
    pd.DataFrame(cmp.table)              # comparison.csv, as columns

    run = povsim.run("scenarios/monitoring.toml", set={"policy.monitoring.detection_rate": 0.9})
    pd.DataFrame(run.summary)            # summary.csv; run.yearly, run.replications, run.causes
    run.manifest["seed"]

Every table is a dict of columns (name -> list), which ``pandas.DataFrame`` and
``polars.DataFrame`` take as they are; its columns are those of the CSV file the
command line writes, with integers as ``int``, numbers as ``float`` and an empty field
as ``nan``. A run releases the GIL and uses a thread pool of its own (``threads=``, one
worker per core by default), so it is safe in threads and in forked children
(``multiprocessing``, EMA Workbench).

Errors are :class:`Error` and its subclasses, with povsim's messages: a bad scenario or
``set`` value raises :class:`ScenarioError`, naming the file, line and key.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import _povsim
from ._povsim import Error, OutputError, ScenarioError, StudyError, __version__

__all__ = [
    "Comparison",
    "Error",
    "OutputError",
    "Run",
    "ScenarioError",
    "Study",
    "StudyError",
    "compare",
    "factors",
    "metrics",
    "run",
    "summary_metrics",
    "validate",
    "__version__",
]

Columns = dict[str, list]
PathLike = str | os.PathLike


def toml_value(value: Any) -> str:
    """A Python value as povsim's ``--set`` reads it (TOML)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):  # int, numpy's integers
        return str(int(value))
    if isinstance(value, numbers.Real):  # float, numpy's floats
        value = float(value)
        if not math.isfinite(value):
            raise ScenarioError(f"{value!r}: a parameter value must be a finite number")
        # An integral float is written as an integer, which integer keys need and
        # number keys accept, as the command line's studies write their values.
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise ScenarioError(
        f"{value!r}: a parameter value must be a bool, number, string or list, not {type(value).__name__}"
    )


def _sets(set: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    """``set={"key": value}`` (or ``["key=value", ...]``) as ``KEY=VALUE`` arguments."""
    if set is None:
        return []
    if isinstance(set, Mapping):
        return [f"{key}={toml_value(value)}" for key, value in set.items()]
    if isinstance(set, str):
        return [set]
    return list(set)


def _path(p: PathLike | None) -> str | None:
    return None if p is None else os.fspath(p)


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def columns(data: bytes | str) -> Columns:
    """A CSV table as columns: a column whose every field is an integer holds ``int``,
    one whose every non-empty field is a number holds ``float`` (``nan`` where empty),
    any other holds ``str``."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    raw: list[list[str]] = [[] for _ in header]
    for row in reader:
        for j, value in enumerate(row):
            raw[j].append(value)
    out: Columns = {}
    for name, values in zip(header, raw):
        parsed = [_number(v) for v in values]
        if values and all(isinstance(p, int) for p in parsed):
            out[name] = parsed
        elif all(p is not None or v == "" for p, v in zip(parsed, values)) and any(
            p is not None for p in parsed
        ):
            out[name] = [math.nan if p is None else float(p) for p in parsed]
        else:
            out[name] = values
    return out


@dataclass
class Run:
    """One scenario's results: the tables of ``povsim run``, as columns."""

    name: str
    yearly: Columns
    summary: Columns
    replications: Columns
    causes: Columns
    manifest: dict
    scenario: dict
    files: dict[str, bytes] = field(repr=False, default_factory=dict)

    @classmethod
    def _from_files(cls, files: Mapping[str, bytes], prefix: str = "") -> "Run":
        def table(name: str) -> Columns:
            return columns(files[prefix + name])

        manifest = json.loads(files[prefix + "manifest.json"])
        return cls(
            name=manifest.get("scenario", prefix.rstrip("/")),
            yearly=table("yearly.csv"),
            summary=table("summary.csv"),
            replications=table("replications.csv"),
            causes=table("causes.csv"),
            manifest=manifest,
            scenario=tomllib.loads(files[prefix + "scenario.toml"].decode("utf-8")),
            files={k[len(prefix):]: v for k, v in files.items() if k.startswith(prefix)},
        )

    def metric(self, name: str) -> float:
        """The mean over replications of summary metric ``name``."""
        for metric, mean in zip(self.summary["metric"], self.summary["mean"]):
            if metric == name:
                return mean
        raise KeyError(f"{name!r} is not a summary metric; see povsim.summary_metrics()")


@dataclass
class Comparison:
    """A comparison of a baseline with variants: ``comparison.csv`` as columns, the
    study's manifest, and each scenario's run, the baseline first."""

    table: Columns
    manifest: dict
    runs: dict[str, Run]
    files: dict[str, bytes] = field(repr=False, default_factory=dict)


def run(
    scenario: PathLike | None = None,
    *,
    set: Mapping[str, Any] | Iterable[str] | None = None,
    households: int | None = None,
    years: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    out: PathLike | None = None,
    report: bool = True,
    force: bool = False,
) -> Run:
    """Simulate ``scenario`` (a file, ``builtin:NAME``, or the built-in baseline), with
    ``set`` overriding parameters by dotted key. With ``out``, also write the folder
    ``povsim run --out`` writes (with its report unless ``report=False``); a folder
    that holds files is replaced only with ``force=True``."""
    files = _povsim.run(
        _path(scenario),
        _sets(set),
        households,
        years,
        replications,
        seed,
        threads,
        _path(out),
        report,
        force,
    )
    return Run._from_files(dict(files))


def compare(
    *files: PathLike,
    set: Mapping[str, Any] | Iterable[str] | None = None,
    households: int | None = None,
    years: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    independent: bool = False,
    out: PathLike | None = None,
    report: bool = True,
    force: bool = False,
) -> Comparison:
    """Compare, on common random numbers, as ``povsim compare``: no file runs the
    bundled Jingtai study, one file is a study file, several are a baseline and its
    variants. ``set`` and the sizes apply to every scenario."""
    made = dict(
        _povsim.compare(
            [os.fspath(f) for f in files],
            _sets(set),
            households,
            years,
            replications,
            seed,
            threads,
            independent,
            _path(out),
            report,
            force,
        )
    )
    manifest = json.loads(made["manifest.json"])
    runs = {name: Run._from_files(made, f"{name}/") for name in manifest["scenarios"]}
    return Comparison(
        table=columns(made["comparison.csv"]), manifest=manifest, runs=runs, files=made
    )


def validate(
    scenario: PathLike | None = None, *, set: Mapping[str, Any] | Iterable[str] | None = None
) -> dict:
    """Check a scenario and return it fully resolved, as ``povsim validate`` prints it."""
    return tomllib.loads(_povsim.validate(_path(scenario), _sets(set)))


def factors(path: PathLike = "builtin:factors.toml") -> list[dict]:
    """The factors of a factors file: each a dict with ``key``, ``distribution`` and its
    parameters (``low``, ``high``; ``mode``; ``mean``, ``sd``)."""
    return json.loads(_povsim.factors(os.fspath(path)))


def summary_metrics() -> list[str]:
    """Every summary metric a run reports (the rows of ``summary.csv``)."""
    return _povsim.summary_metrics()


def metrics() -> Columns:
    """Every metric povsim reports, as ``povsim metrics`` lists it: columns ``name``,
    ``table`` (yearly and summary, summary only, or comparison), ``unit``, ``label``
    and ``counts`` (what it counts). ``pandas.DataFrame(povsim.metrics())`` reads it."""
    rows = _povsim.metrics()
    keys = ("name", "table", "unit", "label", "counts")
    return {k: [r[i] for r in rows] for i, k in enumerate(keys)}


class Study:
    """A sensitivity study directory, prepared by ``povsim sensitivity --prepare DIR``
    or :meth:`Study.prepare`. Any process on any machine that sees the directory may
    run any point; :meth:`merge` writes the tables once all are done, byte-identical
    to a study run in one process.

        study = povsim.Study("outputs/morris")
        for i in study.pending():
            study.run_point(i)
        result = study.merge()
        result["indices"]            # indices.csv as columns

    A ``Study`` holds only its path, so it pickles to workers (Dask, multiprocessing).
    """

    def __init__(self, dir: PathLike):
        self.dir = Path(dir)
        self._len, _, self.resume_command = _povsim.study_open(os.fspath(self.dir))

    @classmethod
    def prepare(
        cls,
        dir: PathLike,
        *,
        method: str = "morris",
        samples: int = 10,
        metric: str | None = None,
        factors: PathLike | None = None,
        scenario: PathLike | None = None,
        set: Mapping[str, Any] | Iterable[str] | None = None,
        households: int | None = None,
        years: int | None = None,
        replications: int | None = None,
        seed: int | None = None,
        dummy: bool = False,
        force: bool = False,
    ) -> "Study":
        """Write a study's plan, design and scenario into ``dir`` without running a
        point (``povsim sensitivity --prepare``)."""
        _povsim.study_prepare(
            os.fspath(dir),
            method,
            samples,
            metric,
            _path(factors),
            _path(scenario),
            _sets(set),
            households,
            years,
            replications,
            seed,
            dummy,
            force,
        )
        return cls(dir)

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"povsim.Study({os.fspath(self.dir)!r})"

    def points(self) -> list[int]:
        """Every point of the study, done or not."""
        return list(range(self._len))

    def pending(self) -> list[int]:
        """The points whose file is missing, incomplete or not this study's."""
        return _povsim.study_open(os.fspath(self.dir))[1]

    def design(self) -> Columns:
        """``design.csv``: each point's parameter values."""
        return columns((self.dir / "design.csv").read_bytes())

    def run_point(self, i: int, threads: int | None = 1) -> int:
        """Run point ``i`` and write its file; returns ``i``. One thread by default, as
        a worker of a scheduler that runs points side by side."""
        _povsim.study_run_point(os.fspath(self.dir), i, threads)
        return i

    def merge(self, report: bool = True) -> dict[str, Columns]:
        """Check that every point is done and whole, then write ``results.csv`` and
        ``indices.csv`` (and the report, unless ``report=False``), as ``povsim
        merge``; returns the tables written, as columns."""
        written = _povsim.study_merge(os.fspath(self.dir), report)
        return {
            Path(name).stem: columns((self.dir / name).read_bytes())
            for name in written
            if name.endswith(".csv")
        }
