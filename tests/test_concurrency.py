"""Several processes updating one store at once: the file lock serialises read-modify-write,
and accepting by point ids merges what another run wrote meanwhile instead of overwriting it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_pareto.store.baseline_files import Store

WRITER = """
import sys, time
from pathlib import Path
from pytest_pareto.frontier.maintenance import Departures, accept_point
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import Observation, Point
from pytest_pareto.store.baseline_files import Store

root, process, updates = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
go = root.parent / "go"
while not go.exists():
    time.sleep(0.005)
store = Store(root)
metrics = {"loss": Metric("loss")}
for i in range(updates):
    point = Point({"loss": Observation.single(1000 * process + i)})
    store.update(
        "tests/test_m.py::test_a",
        lambda baseline: accept_point(
            baseline, "tests/test_m.py::test_a", point, metrics, Departures()
        )[0],
    )
"""


def test_processes_updating_one_file_lose_no_points(tmp_path: Path) -> None:
    processes, updates = 4, 15
    root = tmp_path / "baselines"
    children = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(p), str(updates)])
        for p in range(processes)
    ]
    time.sleep(0.5)  # let every process import and wait at the start line
    (tmp_path / "go").touch()
    assert [child.wait(timeout=120) for child in children] == [0] * processes
    baseline = Store(root).load("tests/test_m.py::test_a")
    assert baseline is not None
    values = sorted(point.value("loss") for point in baseline.points)
    assert values == sorted(1000 * p + i for p in range(processes) for i in range(updates))
    assert not list(root.rglob(".pareto-tmp-*"))


TRADE_OFF_TESTS = """
import os
import pytest

@pytest.mark.parametrize("k", range(4))
def test_model(pareto, k):
    # Each run's result is a trade-off with every other run's: all of them belong on the
    # frontier. Run -1 is worse on both metrics than all of them.
    run, runs = int(os.environ["RUN"]), int(os.environ["RUNS"])
    pareto.record("loss", 1000 if run < 0 else 1 + run)
    pareto.record("time_cost", 1000 if run < 0 else 1 + runs - run)
"""

START_LINE = """
import os
import time
from pathlib import Path

import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    # Every run reaches the update at the same moment, so their writes contend for the files.
    folder = Path(os.environ["START_LINE"])
    folder.mkdir(exist_ok=True)
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(folder.iterdir())) < int(os.environ["RUNS"]) and time.monotonic() < deadline:
        time.sleep(0.01)
"""


@pytest.mark.slow
def test_concurrent_pytest_update_runs_lose_no_points(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = 3
    pytester.makepyfile(test_one=TRADE_OFF_TESTS, test_two=TRADE_OFF_TESTS)
    pytester.makeconftest(START_LINE)
    # A first point that every later run dominates: it must be pruned once, not lost or kept.
    monkeypatch.setenv("RUN", "-1")
    monkeypatch.setenv("START_LINE", str(pytester.path / "line-0"))
    monkeypatch.setenv("RUNS", "1")
    assert pytester.runpytest("--pareto-update", "-p", "no:cacheprovider").ret == 0
    first = Store(pytester.path / "baselines")
    for module in ("one", "two"):
        for k in range(4):
            baseline = first.load(f"test_{module}.py::test_model[{k}]")
            assert baseline is not None
            assert len(baseline.points) == 1
    monkeypatch.setenv("RUNS", str(runs))
    monkeypatch.setenv("START_LINE", str(pytester.path / "line-1"))
    command = [sys.executable, "-m", "pytest", "--pareto-update", "-p", "no:cacheprovider", "-q"]
    children = []
    for run in range(runs):
        monkeypatch.setenv("RUN", str(run))
        children.append(
            subprocess.Popen(
                command,
                cwd=pytester.path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [child.communicate(timeout=240)[0] for child in children]
    assert [child.returncode for child in children] == [0] * runs, outputs

    store = Store(pytester.path / "baselines")
    for module in ("one", "two"):
        for k in range(4):
            baseline = store.load(f"test_{module}.py::test_model[{k}]")
            assert baseline is not None
            values = sorted((p.value("loss"), p.value("time_cost")) for p in baseline.points)
            assert values == [(1 + run, 1 + runs - run) for run in range(runs)]
            # The dominated first point left the frontier exactly once, into history.
            assert [(h.event, h.point.value("loss")) for h in baseline.history] == [
                ("pruned", 1000.0)
            ]


def test_a_point_written_meanwhile_by_another_run_is_kept(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run judged against P1; while it ran, another run added P2. Accepting the new point
    prunes P1 (named in its verdict) and keeps P2 (it was not judged, so it is not touched)."""
    pytester.makepyfile(
        test_m=textwrap.dedent(
            """
            import os
            from pytest_pareto.frontier.maintenance import Departures, accept_point
            from pytest_pareto.model.metrics import Metric
            from pytest_pareto.model.points import Observation, Point
            from pytest_pareto.store.baseline_files import Store

            def test_a(pareto):
                value = float(os.environ["VALUE"])
                pareto.record("loss", value)
                pareto.record("time_cost", value)
                if os.environ.get("OTHER_RUN_WRITES"):
                    other = Point(
                        {"loss": Observation.single(0.5), "time_cost": Observation.single(5.0)},
                        recorded_at="2026-01-02T00:00:00Z",
                    )
                    metrics = {"loss": Metric("loss"), "time_cost": Metric("time_cost")}
                    Store("baselines").update(
                        "test_m.py::test_a",
                        lambda b: accept_point(
                            b, "test_m.py::test_a", other, metrics, Departures()
                        )[0],
                    )
            """
        )
    )
    monkeypatch.setenv("VALUE", "2")
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    monkeypatch.setenv("VALUE", "1")
    monkeypatch.setenv("OTHER_RUN_WRITES", "1")
    result = pytester.runpytest("--pareto-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_m.py::test_a: added *, pruned 1, 2 points on the frontier"])

    baseline = Store(pytester.path / "baselines").load("test_m.py::test_a")
    assert baseline is not None
    assert sorted(p.values()["loss"] for p in baseline.points) == [0.5, 1.0]
    assert [(h.event, h.point.value("loss")) for h in baseline.history] == [("pruned", 2.0)]
    data = json.loads((pytester.path / "baselines" / "test_m.py.json").read_text())
    assert len(data["tests"]["test_a"]["points"]) == 2
