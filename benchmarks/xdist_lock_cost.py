"""What serialising measurements across pytest-xdist workers costs, and what it buys.

Builds a throw-away project of MEASURED tests (each measures a CPU-bound call of about
CALL_MS milliseconds, ROUNDS rounds) and ORDINARY CPU-bound tests (about ORDINARY_MS each), then
runs it three ways with ``--pareto-update`` into separate stores:

* serial: no xdist;
* xdist, lock: ``-n WORKERS``, workers take the measurement lock (the default);
* xdist, no lock: ``-n WORKERS -o pareto_serialize_measurements=false``.

For each it prints the run's wall time and the measured wall_time of the tests (median over
tests, relative to the serial run), and the cost of one uncontended lock acquisition.

Usage::

    python benchmarks/xdist_lock_cost.py
    python benchmarks/xdist_lock_cost.py --measured 8 --ordinary 16 --workers 2

The lock files live in a private temporary folder, so that measurements of other pytest runs on
this host (the lock is host-wide) do not hold these runs up. The machine may be shared: run it
more than once before drawing conclusions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from pytest_pareto.store.baseline_files import Store
from pytest_pareto.store.locks import measurement_lock

PROJECT = """
import time
import pytest

def spin(seconds):
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1
    return x

def work(n):
    # CPU-bound and fixed in size: its time shows how much other processes disturb it.
    return sum(i * i for i in range(n))

@pytest.mark.pareto(rounds={rounds}, iterations=1, warmup=0, metrics=["wall_time"])
@pytest.mark.parametrize("k", range({measured}))
def test_measured(pareto, k):
    pareto(work, {work_n})

@pytest.mark.parametrize("k", range({ordinary}))
def test_ordinary(k):
    spin({ordinary_s})
"""


def _calibrate(call_ms: float) -> int:
    """Loop size of ``work`` that takes about ``call_ms`` here."""
    n = 10_000
    while True:
        start = time.perf_counter()
        sum(i * i for i in range(n))
        took = time.perf_counter() - start
        if took > 0.01:
            return max(1, int(n * call_ms / 1000 / took))
        n *= 2


def _run(project: Path, store: str, *options: str) -> tuple[float, list[float]]:
    env = {**os.environ, "PYTHONHASHSEED": "0", "TMPDIR": str(project / "tmp")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pareto-update"]
    start = time.perf_counter()
    result = subprocess.run(
        [*command, f"--pareto-store={store}", *options],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    values = [
        baseline.points[0].value("wall_time")
        for baseline in Store(project / store).iter_baselines()
    ]
    return elapsed, values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measured", type=int, default=8)
    parser.add_argument("--ordinary", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--call-ms", type=float, default=20.0)
    parser.add_argument("--ordinary-ms", type=float, default=200.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each configuration")
    args = parser.parse_args(argv)

    project = Path(tempfile.mkdtemp(prefix="pareto-xdist-cost-"))
    (project / "tmp").mkdir()
    try:
        (project / "test_cost.py").write_text(
            textwrap.dedent(
                PROJECT.format(
                    rounds=args.rounds,
                    measured=args.measured,
                    ordinary=args.ordinary,
                    work_n=_calibrate(args.call_ms),
                    ordinary_s=args.ordinary_ms / 1000,
                )
            )
        )
        workers = ["-n", str(args.workers)]
        configs = {
            "serial": (),
            "xdist, lock": tuple(workers),
            "xdist, no lock": (*workers, "-o", "pareto_serialize_measurements=false"),
        }
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label in configs}
        for repeat in range(args.repeat):  # alternate the configurations, so drift hits all
            for index, (label, options) in enumerate(configs.items()):
                elapsed, values = _run(project, f"store-{repeat}-{index}", *options)
                runs[label].append((elapsed, statistics.median(values)))
        tempfile.tempdir = str(project / "tmp")  # a private lock folder for this process too
        acquisitions = 2000
        start = time.perf_counter()
        for _ in range(acquisitions):
            with measurement_lock():
                pass
        per_lock_us = (time.perf_counter() - start) / acquisitions * 1e6
    finally:
        tempfile.tempdir = None
        shutil.rmtree(project, ignore_errors=True)

    print(
        f"{args.measured} measured tests ({args.rounds} rounds of ~{args.call_ms:g} ms), "
        f"{args.ordinary} ordinary tests (~{args.ordinary_ms:g} ms CPU each), "
        f"{args.workers} workers, {os.cpu_count()} CPUs"
    )
    print(f"medians of {args.repeat} alternated runs of each configuration")
    serial = statistics.median(m for _, m in runs["serial"])
    print(f"{'':16} {'run wall s':>10}   measured wall_time (median over tests)")
    for label, results in runs.items():
        elapsed = statistics.median(e for e, _ in results)
        median = statistics.median(m for _, m in results)
        spread = ", ".join(f"{m * 1e3:.1f}" for _, m in results)
        print(
            f"{label:16} {elapsed:10.2f}   {median * 1e3:6.2f} ms ({median / serial:.2f}x serial; "
            f"runs: {spread} ms)"
        )
    print(f"uncontended measurement lock: {per_lock_us:.0f} µs per acquire + release")
    return 0


if __name__ == "__main__":
    sys.exit(main())
