"""The Python package against the command line, and in threads and forked children.

Usage: python python_check.py CLI_RUN_DIR CLI_COMPARE_DIR WORK_DIR

CLI_RUN_DIR is `povsim run --households 400 --years 3 --replications 3 --seed 11`,
CLI_COMPARE_DIR `povsim compare scenarios/baseline.toml scenarios/monitoring.toml` with
the same sizes, both written by the command line. Exits 1 (an assertion) unless:
- povsim.run gives the command line's tables byte for byte, on 1 and 2 threads, and
  columns that pandas and polars take as they are;
- povsim.metrics() lists summary.csv's metrics in its order, with their units;
- povsim.compare gives the command line's comparison.csv byte for byte;
- povsim.validate returns the resolved scenario, and a bad value raises
  povsim.ScenarioError naming the file, line and key;
- a run releases the GIL (another Python thread runs meanwhile);
- a child forked after a run in the parent can run (rayon's global pool would
  deadlock there), and gets the parent's numbers;
- out= refuses a folder that holds files, naming out= and force=True, and leaves
  it as it was; force=True replaces it;
- Ctrl-C (SIGINT) stops a long run with KeyboardInterrupt;
- a Study prepared from Python runs point by point and merges.
"""
import multiprocessing
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import polars as pl

import povsim

SIZES = dict(households=400, years=3, replications=3, seed=11)


def check_run(cli: Path):
    for threads in (1, 2):
        run = povsim.run(**SIZES, threads=threads)
        for name in ("yearly.csv", "summary.csv", "replications.csv", "causes.csv", "scenario.toml"):
            assert run.files[name] == (cli / name).read_bytes(), f"{name} on {threads} threads differs from the command line's"
    frame = pd.DataFrame(run.summary)
    assert list(frame.columns) == ["scenario", "metric", "mean", "sd", "ci_low", "ci_high", "n"], frame.columns
    assert frame["n"].dtype.kind == "i" and frame["mean"].dtype.kind == "f"
    assert pl.DataFrame(run.yearly).height == len(run.yearly["year"]) > 0
    rate = frame.set_index("metric").loc["return_rate", "mean"]
    assert rate == run.metric("return_rate") and 0 < rate < 1, rate
    assert run.manifest["households"] == 400 and run.manifest["seed"] == 11
    print(f"ok run: tables equal the command line's on 1 and 2 threads; return_rate {rate:.4f}")
    listed = pd.DataFrame(povsim.metrics())
    summary_listed = listed[listed["table"].str.contains("summary")]
    assert list(summary_listed["name"]) == list(frame["metric"]), "povsim.metrics() is not summary.csv's list"
    units = listed.set_index("name")["unit"]
    assert units["registered_return_rate"] == "share" and units["cost_total"] == "CNY", units
    print(f"ok metrics: povsim.metrics() lists summary.csv's {len(summary_listed)} metrics in order, with units")


def check_compare(cli: Path, scenarios: Path):
    cmp = povsim.compare(scenarios / "baseline.toml", scenarios / "monitoring.toml", **SIZES, threads=2)
    assert cmp.files["comparison.csv"] == (cli / "comparison.csv").read_bytes(), "comparison.csv differs"
    for name in ("baseline", "monitoring"):
        assert cmp.runs[name].files["summary.csv"] == (cli / name / "summary.csv").read_bytes(), name
    frame = pd.DataFrame(cmp.table)
    row = frame[(frame["scenario"] == "monitoring") & (frame["metric"] == "return_rate")]
    assert len(row) == 1, frame
    print(f"ok compare: comparison.csv byte-identical to the command line's; {len(frame)} rows")


def check_validate_and_errors(scenarios: Path, work: Path):
    resolved = povsim.validate(scenarios / "monitoring.toml", set={"simulation.households": 123})
    assert resolved["simulation"]["households"] == 123
    assert resolved["policy"]["monitoring"]["enabled"] is True
    bad = work / "bad.toml"
    bad.write_text('extends = "baseline.toml"\n\n[policy.monitoring]\ndetection_rate = 1.7\n')
    (work / "baseline.toml").write_text((scenarios / "baseline.toml").read_text())
    try:
        povsim.run(bad, households=50, years=1, replications=1)
    except povsim.ScenarioError as e:
        text = str(e)
        assert str(bad) in text and ":4" in text and "detection_rate" in text, text
        print(f"ok error: {text}")
    else:
        raise AssertionError("a detection rate of 1.7 was accepted")
    try:
        povsim.run(set={"policy.monitoring.detection_rat": 0.5})
    except povsim.ScenarioError as e:
        assert "set=" in str(e) and "detection_rate" in str(e), str(e)
    else:
        raise AssertionError("an unknown key was accepted")
    for wrong in (dict(threads=0), dict(households=-1)):
        try:
            povsim.run(**wrong)
        except (povsim.Error, OverflowError) as e:
            print(f"ok error for {wrong}: {e}")
        else:
            raise AssertionError(f"{wrong} was accepted")


def check_out_folder(work: Path):
    out = work / "used"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    small = dict(households=50, years=1, replications=1)
    try:
        povsim.run(**small, out=out, report=False)
    except povsim.OutputError as e:
        text = str(e)
        assert str(out) in text and "out=" in text and "force=True" in text, text
        assert "--" not in text, f"the message names command-line flags: {text}"
    else:
        raise AssertionError("a folder holding files was written over without force=True")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"], list(out.iterdir())
    povsim.run(**small, out=out, report=False, force=True)
    names = sorted(p.name for p in out.iterdir())
    assert "summary.csv" in names and "keep.txt" not in names, names
    print("ok out=: a used folder is kept unless force=True, which replaces it")


def check_gil_released():
    # While another thread is inside the engine (the raw call, without the Python that
    # turns its files into columns), this thread keeps running Python: holding the GIL,
    # the engine would let no Python run between its call's start and end.
    span = {}

    def engine():
        span["start"] = time.perf_counter()
        povsim._povsim.run(None, [], 50000, 10, 4, 11, 1, None, False)
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=engine)
    stamps = []
    worker.start()
    ticks = 0
    while worker.is_alive():
        ticks += 1
        if ticks % 1000 == 0:
            stamps.append(time.perf_counter())
    worker.join()
    start, end = span["start"], span["end"]
    margin = 0.1 * (end - start)
    inside = [s for s in stamps if start + margin < s < end - margin]
    assert end - start > 0.05 and inside, (
        f"no Python ran in the middle of a {end - start:.2f} s run: the GIL was held"
    )
    print(f"ok GIL: another thread ran Python throughout a {end - start:.2f} s run ({len(inside)} marks)")


def check_interrupt():
    # A long run in a child Python, interrupted as Ctrl-C would: KeyboardInterrupt
    # within a few seconds, not at the end of the run.
    code = (
        "import povsim, sys\n"
        "print('started', flush=True)\n"
        "try:\n"
        "    povsim.run(households=500000, years=30, replications=4, threads=1)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True); sys.exit(3)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "started"
    time.sleep(1.0)
    sent = time.perf_counter()
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("Ctrl-C did not stop a run within 20 s")
    waited = time.perf_counter() - sent
    rest = p.stdout.read()
    assert p.returncode == 3 and "interrupted" in rest, (p.returncode, rest)
    assert waited < 5, f"Ctrl-C took {waited:.1f} s to stop the run"
    print(f"ok interrupt: Ctrl-C raised KeyboardInterrupt {waited:.2f} s after it was sent")


def child(queue):
    queue.put(povsim.run(**SIZES, threads=2).metric("return_rate"))


def check_fork():
    parent = povsim.run(**SIZES, threads=2).metric("return_rate")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=child, args=(queue,))
    p.start()
    p.join(120)
    if p.is_alive():
        p.kill()
        raise AssertionError("a forked child did not finish its run in 120 s (a deadlock)")
    assert p.exitcode == 0, p.exitcode
    got = queue.get(timeout=5)
    assert got == parent, (got, parent)
    print(f"ok fork: a forked child ran and got the parent's return rate {got:.6f}")


def check_study(work: Path):
    study = povsim.Study.prepare(work / "study", method="morris", samples=2, households=200,
                                 years=2, replications=2)
    assert len(study) == len(study.points()) == len(study.pending()) > 0
    try:
        study.merge()
    except povsim.StudyError as e:
        assert "povsim sensitivity --resume" in str(e), str(e)
    else:
        raise AssertionError("a study with no point done was merged")
    for i in study.points():
        assert study.run_point(i) == i
    assert study.pending() == []
    tables = study.merge(report=False)
    assert set(tables) == {"results", "indices"}, set(tables)
    assert len(pd.DataFrame(tables["indices"])) > 0
    try:
        povsim.Study.prepare(work / "study", method="morris", samples=2)
    except povsim.StudyError as e:
        assert "another dir or" in str(e) and "force=True" in str(e) and "--" not in str(e), str(e)
    else:
        raise AssertionError("a study folder was prepared over without force=True")
    assert len(povsim.Study(work / "study").pending()) == 0, "the refused prepare changed the study"
    print(f"ok study: {len(study)} points run from Python and merged")


def main(cli_run, cli_compare, work):
    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    work = Path(work)
    check_run(Path(cli_run))
    check_compare(Path(cli_compare), scenarios)
    check_validate_and_errors(scenarios, work)
    check_out_folder(work)
    check_gil_released()
    check_fork()
    check_interrupt()
    check_study(work)


if __name__ == "__main__":
    main(*sys.argv[1:])
