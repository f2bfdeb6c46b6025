"""Dask runs a prepared povsim study: a distributed.LocalCluster of 2 worker processes
on loopback maps the study's points through the Python package (povsim.Study), then
the study is merged; its tables must be byte-identical to the same study run by the
command line in one process.

Usage: python dask_check.py PREPARED_DIR CLI_STUDY_DIR

PREPARED_DIR is `povsim sensitivity ... --prepare`, CLI_STUDY_DIR the same command
without --prepare. Exits 1 (an assertion) unless results.csv and indices.csv are equal
byte for byte and the points ran on both workers.
"""
import sys
from pathlib import Path

from dask.distributed import Client, LocalCluster, get_worker

import povsim


def run_point(study, i):
    study.run_point(i, threads=1)
    return i, get_worker().address


def main(prepared, cli):
    prepared, cli = Path(prepared), Path(cli)
    study = povsim.Study(prepared)
    assert study.pending() == study.points(), "the prepared study has no point done"
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, Client(cluster) as client:
        assert all(a.startswith("tcp://127.0.0.1:") for a in client.scheduler_info()["workers"])
        futures = client.map(run_point, [study] * len(study), study.points(), pure=False)
        done = client.gather(futures)
    assert sorted(i for i, _ in done) == study.points()
    workers = {w for _, w in done}
    print(f"ok: {len(done)} points ran on {len(workers)} Dask workers")
    assert study.pending() == []
    study.merge(report=False)
    for name in ("results.csv", "indices.csv", "design.csv"):
        same = (prepared / name).read_bytes() == (cli / name).read_bytes()
        assert same, f"{name} of the Dask study differs from the command line's"
        print(f"ok {name}: byte-identical to the command line's study")


if __name__ == "__main__":
    main(*sys.argv[1:])
